/**
 * Checks a neutral form against what a surface declares it can show, before the core pauses a
 * turn or answers a server. One check for every platform, so the same form is shown everywhere
 * it fits and declined everywhere else with the same reason.
 */
import type { SurfaceCapabilities } from '../surface.js';
import type { FormSpec } from './form.js';

/** `undefined` when the form fits; otherwise why not, as a clause ("field X has 40 options…"). */
export function formProblem(form: FormSpec, caps: SurfaceCapabilities, platform: string): string | undefined {
  const where = platformName(platform);
  if (form.fields.length > caps.maxFields)
    return `it has ${form.fields.length} fields, and a ${where} form holds at most ${caps.maxFields}`;
  for (const field of form.fields) {
    const name = `“${field.label || field.name}”`;
    if (!caps.fieldKinds.includes(field.kind))
      return `field ${name} is a ${field.kind} field, which ${where} can’t show`;
    if (field.minLength !== undefined && field.minLength > caps.maxTextLength)
      return `field ${name} needs at least ${field.minLength} characters, and ${where} text boxes hold ${caps.maxTextLength}`;
    const options = field.options;
    if (options) {
      if (options.length > caps.maxOptions)
        return `field ${name} has ${options.length} options, and ${where} shows at most ${caps.maxOptions}`;
      if (options.some((o) => o.label.length > caps.maxOptionLabel))
        return `an option of field ${name} is longer than the ${caps.maxOptionLabel} characters ${where} shows`;
    }
  }
  return undefined;
}

function platformName(platform: string): string {
  if (platform === 'slack') return 'Slack';
  if (platform === 'discord') return 'Discord';
  return 'this chat';
}
