import { z } from 'zod';
import { TemplatesStore } from '../shared/adapters/templates-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { ENV, requiredEnv } from '../shared/environment.js';
import { ApiError, notFound } from '../shared/http/api-error.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { producerOf, requireScope } from '../shared/http/producer.js';
import { parseJsonBody, parsePathParameters } from '../shared/http/request.js';
import { json } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { notificationTypeSchema } from '../shared/schemas/identifiers.js';
import { type TemplateDocument, templateSchema } from '../shared/schemas/template.js';
import { templateProblems } from '../shared/templates/liquid-engine.js';

const templates = new TemplatesStore(requiredEnv(ENV.templatesTable), documentClient);
const pathSchema = z.object({ type: notificationTypeSchema });

function view(type: string, template: TemplateDocument & { updated_at?: string }) {
  const { critical, email, sms, push, updated_at } = template;
  return { type, critical, email, sms, push, updated_at };
}

/** PUT and GET /v1/templates/{type}: what each channel says for a notification type. */
export const handler = apiHandler(async (event) => {
  switch (event.httpMethod) {
    case 'PUT': {
      const producer = requireScope(event, 'templates:write');
      const { type } = parsePathParameters(event, pathSchema);
      logger.appendKeys({ producer: producer.name, type });
      const template = parseJsonBody(event, templateSchema);
      const problems = templateProblems(template);
      if (problems.length > 0) {
        throw new ApiError(
          400,
          'invalid_template',
          `${problems.map((problem) => problem.field).join(', ')} does not compile`,
          problems,
        );
      }
      const saved = await templates.save(type, template, producer.name);
      return json(200, view(type, saved));
    }
    case 'GET': {
      const producer = producerOf(event);
      const { type } = parsePathParameters(event, pathSchema);
      logger.appendKeys({ producer: producer.name, type });
      const template = await templates.findFresh(type);
      if (!template) throw notFound(`template ${type}`);
      return json(200, view(type, template));
    }
    default:
      throw new ApiError(405, 'method_not_allowed', `${event.httpMethod} is not supported here`);
  }
});
