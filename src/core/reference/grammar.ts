// The distribution reference grammar as containers/image vendors it
// (containers/image:docker/reference/regexp.go). Go's RE2 runs in linear time;
// JavaScript backtracks, so each pattern here is written in an unambiguous
// form that accepts exactly the same language:
//   separator `(?:[._]|__|[-]*)` -> `(?:[._]|__|-+)`: the empty `-*` branch
//   only glued two alphanumeric runs, which `[a-z0-9]+` already covers.

export const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
export const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
export const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
export const TAG = '[\\w][\\w.-]{0,127}';
export const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
export const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;

const anchored = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`);

export const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
export const DOMAIN_RE = anchored(DOMAIN);
export const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

/** distribution's NameTotalLengthMax: the name (domain + path) may not be longer. */
export const NAME_TOTAL_LENGTH_MAX = 255;
/** No valid reference is longer (255 name + 128 tag + a sha512 digest); checked before any regex runs. */
export const REFERENCE_INPUT_MAX = 1024;
