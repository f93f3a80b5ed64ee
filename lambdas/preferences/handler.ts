import { preferencesOf, UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { choiceProblems } from '../shared/domain/categories.js';
import { invalidRequest } from '../shared/http/api-error.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { json } from '../shared/http/responses.js';
import { categoryCatalogue } from '../shared/platform/category-catalogue.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';

const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);

/** The one place a user's wishes live. */
export const handler = operationsHandler({
  // A user never seen gets the defaults: every channel on, no quiet hours.
  getPreferences: async ({ path }) => json(200, preferencesOf(await users.findFresh(path.user_id))),
  putPreferences: async ({ path, body }) => {
    const problems = choiceProblems(categoryCatalogue(), body.categories);
    if (problems.length > 0) throw invalidRequest(problems);
    await users.savePreferences(path.user_id, body);
    return json(200, body);
  },
});
