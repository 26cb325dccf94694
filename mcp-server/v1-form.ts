/**
 * The "V1" form payload: the pre-elicitation way for a tool to ask for more input. The tool answers
 * with ONE text content block whose text is this JSON; the client renders the fields, then calls the
 * same tool again with its original arguments plus each answer under the field's `name`.
 *
 * This is the server side of the wire format: the types of what the demo server emits. Parley's
 * reader is src/interactions/v1.ts (`findV1Payload`, `v1PayloadToForm`); the demo server's tests
 * run its output through that reader, so the two sides are checked against each other for real.
 */

export type V1FormFieldType = 'text' | 'number' | 'integer' | 'boolean' | 'select' | 'multiselect' | 'date';

export interface V1FormOption {
  value: string;
  label: string;
}

interface V1FormFieldBase {
  /** The argument name the answer goes under when the client calls the tool again. */
  name: string;
  label: string;
  required: boolean;
  description?: string;
  default?: string | number | boolean | string[];
  /** For text fields. */
  min_length?: number;
  max_length?: number;
  /** For number and integer fields. */
  minimum?: number;
  maximum?: number;
  /** For text fields. */
  format?: 'email' | 'uri';
}

/** A field without choices; `options` never appears on it. */
export interface V1FormPlainField extends V1FormFieldBase {
  type: Exclude<V1FormFieldType, 'select' | 'multiselect'>;
  options?: never;
}

/** A single- or multi-choice field; the answer is an option's `value` (an array for multiselect). */
export interface V1FormChoiceField extends V1FormFieldBase {
  type: 'select' | 'multiselect';
  options: V1FormOption[];
}

export type V1FormField = V1FormPlainField | V1FormChoiceField;

export interface V1FormPayload {
  type: 'elicitation';
  elicitation_type: 'form';
  /** The tool to call again with the answers. */
  tool: string;
  message: string;
  fields: V1FormField[];
}
