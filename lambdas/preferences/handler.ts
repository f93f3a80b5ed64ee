import { preferencesOf, UsersStore, unsubscribesOf } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { choiceProblems } from '../shared/domain/categories.js';
import type { Preferences } from '../shared/domain/preferences.js';
import { invalidRequest } from '../shared/http/api-error.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { json } from '../shared/http/responses.js';
import { categoryCatalogue } from '../shared/platform/category-catalogue.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';

const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);

/** The preferences as answered: with what the person turned off themselves, which no producer's write turns on. */
const answer = (preferences: Preferences, unsubscribed: ReadonlySet<string>) =>
  json(200, { ...preferences, unsubscribed: [...unsubscribed].sort() });

/** The one place a user's wishes live. */
export const handler = operationsHandler({
  // A user never seen gets the defaults: every channel on, no quiet hours.
  getPreferences: async ({ path }) => {
    const user = await users.findFresh(path.user_id);
    return answer(preferencesOf(user), unsubscribesOf(user));
  },
  putPreferences: async ({ path, body: { unsubscribed: _answeredOnly, ...update } }) => {
    const problems = choiceProblems(categoryCatalogue(), update.categories ?? {});
    if (problems.length > 0) throw invalidRequest(problems);
    const stored = await users.savePreferences(path.user_id, update, new Date().toISOString());
    return answer(stored.preferences, stored.unsubscribed);
  },
});
