import { z } from 'zod';
import { preferencesOf, UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { ENV, requiredEnv } from '../shared/environment.js';
import { ApiError } from '../shared/http/api-error.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { producerOf, requireScope } from '../shared/http/producer.js';
import { parseJsonBody, parsePathParameters } from '../shared/http/request.js';
import { json } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { userIdSchema } from '../shared/schemas/identifiers.js';
import { preferencesSchema } from '../shared/schemas/preferences.js';

const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);
const pathSchema = z.object({ user_id: userIdSchema });

/** GET and PUT /v1/preferences/{user_id}: the one place a user's wishes live. */
export const handler = apiHandler(async (event) => {
  switch (event.httpMethod) {
    case 'GET': {
      const producer = producerOf(event);
      const { user_id } = parsePathParameters(event, pathSchema);
      logger.appendKeys({ producer: producer.name, user_id });
      // A user never seen gets the defaults: every channel on, no quiet hours.
      return json(200, preferencesOf(await users.findFresh(user_id)));
    }
    case 'PUT': {
      const producer = requireScope(event, 'preferences:write');
      const { user_id } = parsePathParameters(event, pathSchema);
      logger.appendKeys({ producer: producer.name, user_id });
      const preferences = parseJsonBody(event, preferencesSchema);
      await users.savePreferences(user_id, preferences);
      return json(200, preferences);
    }
    default:
      throw new ApiError(405, 'method_not_allowed', `${event.httpMethod} is not supported here`);
  }
});
