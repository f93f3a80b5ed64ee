import { z } from 'zod';

const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** A notification type's templates: Liquid over the notification's payload, one part per channel it uses. */
export const templateSchema = z
  .strictObject({
    critical: z.boolean().default(false),
    email: z.strictObject({ subject: text(998), body: text(100_000) }).optional(),
    sms: z.strictObject({ body: text(1_600) }).optional(),
    push: z.strictObject({ title: text(256), body: text(4_000) }).optional(),
  })
  .refine((template) => template.email || template.sms || template.push, {
    message: 'must have at least one of email, sms, push',
  });

export type TemplateDocument = z.infer<typeof templateSchema>;
