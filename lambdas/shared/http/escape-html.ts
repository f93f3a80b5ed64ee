/** Text made safe to put in HTML, in an element or an attribute: the five characters that mean markup, as entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
