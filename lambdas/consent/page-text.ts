import type { Channel } from '../channels/registry.js';
import type { Language } from '../shared/domain/language.js';

interface PageText {
  readonly title: string;
  readonly intro: string;
  readonly channels: Readonly<Partial<Record<Channel, string>>>;
  readonly required: string;
  readonly masterOff: (channels: readonly string[]) => string;
  readonly quietHours: string;
  readonly quietOn: string;
  readonly from: string;
  readonly until: string;
  readonly timeZone: string;
  readonly quietNote: string;
  readonly save: string;
  readonly saved: string;
  readonly unsubscribed: string;
  readonly unsubscribeOnly: (days: number) => string;
  readonly expiredTitle: string;
  readonly expired: string;
  readonly invalidTitle: string;
  readonly invalid: string;
  readonly goneTitle: string;
  readonly gone: string;
  readonly badTime: string;
  readonly badTimeZone: string;
}

export const PAGE_TEXT: Readonly<Record<Language, PageText>> = {
  en: {
    title: 'Your notification preferences',
    intro: 'Choose what we send you, and how. Required messages (such as security alerts) cannot be turned off here.',
    channels: { email: 'Email', sms: 'Text message', push: 'Push notification' },
    required: 'Required: we always send these, on every channel you have not turned off.',
    masterOff: (channels) => `Turned off for every message: ${channels.join(', ')}.`,
    quietHours: 'Quiet hours',
    quietOn: 'Hold texts and push notifications back during these hours',
    from: 'From',
    until: 'until',
    timeZone: 'Time zone',
    quietNote: 'Urgent messages (such as a password reset code) still arrive.',
    save: 'Save',
    saved: 'Saved. Your choices apply from the next message.',
    unsubscribed: 'You are unsubscribed.',
    unsubscribeOnly: (days) =>
      `This link is more than ${days} days old: you can turn messages off here, but to turn them back on or change quiet hours, use the link in a recent email.`,
    expiredTitle: 'This link has expired',
    expired: 'This link has expired. Use the link in a recent email you received from us.',
    invalidTitle: 'This link is not valid',
    invalid: 'This link is not valid. Use the link in the latest email you received from us.',
    goneTitle: 'Nothing left to change',
    gone: 'We hold no preferences for you any more, so there is nothing left to change.',
    badTime: 'Quiet hours need a start and an end time, and they must differ.',
    badTimeZone: 'Choose a time zone from the list.',
  },
  de: {
    title: 'Ihre Benachrichtigungseinstellungen',
    intro:
      'Wählen Sie, was wir Ihnen senden und wie. Pflichtnachrichten (etwa Sicherheitswarnungen) können Sie hier nicht abbestellen.',
    channels: { email: 'E-Mail', sms: 'SMS', push: 'Push-Nachricht' },
    required: 'Pflicht: Diese senden wir immer, auf jedem Weg, den Sie nicht ganz abgeschaltet haben.',
    masterOff: (channels) => `Für alle Nachrichten abgeschaltet: ${channels.join(', ')}.`,
    quietHours: 'Ruhezeiten',
    quietOn: 'SMS und Push-Nachrichten in dieser Zeit zurückhalten',
    from: 'Von',
    until: 'bis',
    timeZone: 'Zeitzone',
    quietNote: 'Dringende Nachrichten (etwa ein Code zum Zurücksetzen des Passworts) kommen trotzdem an.',
    save: 'Speichern',
    saved: 'Gespeichert. Ihre Auswahl gilt ab der nächsten Nachricht.',
    unsubscribed: 'Sie sind abgemeldet.',
    unsubscribeOnly: (days) =>
      `Dieser Link ist älter als ${days} Tage: Hier können Sie Nachrichten abbestellen; um sie wieder zu erhalten oder Ruhezeiten zu ändern, nutzen Sie den Link in einer neueren E-Mail.`,
    expiredTitle: 'Dieser Link ist abgelaufen',
    expired: 'Dieser Link ist abgelaufen. Nutzen Sie den Link in einer neueren E-Mail von uns.',
    invalidTitle: 'Dieser Link ist nicht gültig',
    invalid: 'Dieser Link ist nicht gültig. Nutzen Sie den Link in der neuesten E-Mail von uns.',
    goneTitle: 'Nichts mehr zu ändern',
    gone: 'Wir speichern keine Einstellungen mehr für Sie, es gibt also nichts mehr zu ändern.',
    badTime: 'Ruhezeiten brauchen eine Anfangs- und eine Endzeit, die sich unterscheiden.',
    badTimeZone: 'Wählen Sie eine Zeitzone aus der Liste.',
  },
};
