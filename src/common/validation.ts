import { ValidationPipe } from '@nestjs/common';
import { type ClassConstructor, plainToInstance } from 'class-transformer';
import {
  type ValidationError as ClassValidationError,
  validateSync,
  type ValidatorOptions,
} from 'class-validator';
import { type FieldProblem, ValidationError } from './errors.js';

export const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
};

/** class-validator's nested errors as flat `{field, reason}` pairs; unknown fields say so plainly. */
export function toProblems(errors: ClassValidationError[], index?: number, parent = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    if ('whitelistValidation' in constraints) {
      problems.push({ ...(index === undefined ? {} : { index }), field, reason: 'unknown field' });
      continue;
    }
    for (const message of Object.values(constraints)) {
      // class-validator prefixes messages with the property name; the field is reported separately.
      const reason = message.startsWith(`${error.property} `)
        ? message.slice(error.property.length + 1)
        : message;
      problems.push({ ...(index === undefined ? {} : { index }), field, reason });
    }
    problems.push(...toProblems(error.children ?? [], index, field));
  }
  return problems;
}

/**
 * Validates one plain object against a DTO class with the same rules as the global pipe.
 * Returns the instance, or the problems found (tagged with `index` for bulk requests).
 */
export function validateObject<T extends object>(
  type: ClassConstructor<T>,
  value: unknown,
  index?: number,
): { value: T; problems: FieldProblem[] } {
  const at = index === undefined ? {} : { index };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      value: undefined as unknown as T,
      problems: [{ ...at, field: '', reason: 'must be a JSON object' }],
    };
  }
  const instance = plainToInstance(type, value);
  return { value: instance, problems: toProblems(validateSync(instance, VALIDATOR_OPTIONS), index) };
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => new ValidationError(toProblems(errors)),
  });
}
