import { z } from 'zod';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { ENV, requiredEnv } from '../shared/environment.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { requireScope } from '../shared/http/producer.js';
import { parseJsonBody, parsePathParameters } from '../shared/http/request.js';
import { json } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { contactsSchema } from '../shared/schemas/contacts.js';
import { userIdSchema } from '../shared/schemas/identifiers.js';

const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);
const pathSchema = z.object({ user_id: userIdSchema });

/** PUT /v1/users/{user_id}/contacts: where the user is reached. A field left out is removed. */
export const handler = apiHandler(async (event) => {
  const producer = requireScope(event, 'preferences:write');
  const { user_id } = parsePathParameters(event, pathSchema);
  logger.appendKeys({ producer: producer.name, user_id });
  const contacts = parseJsonBody(event, contactsSchema);
  await users.replaceContacts(user_id, contacts);
  return json(200, { user_id, ...contacts });
});
