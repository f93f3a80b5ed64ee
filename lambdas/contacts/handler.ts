import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { json } from '../shared/http/responses.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';

const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);

/** Where the user is reached. A field left out is removed. */
export const handler = operationsHandler({
  putContacts: async ({ path, body }) => {
    await users.replaceContacts(path.user_id, body);
    return json(200, { user_id: path.user_id, ...body });
  },
});
