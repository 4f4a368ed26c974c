/* lode: what every options struct shares.
 * (Conventions for every header: the opening comment of lode.h.)
 *
 * Options are structs the caller zero-initialises: zero means Node's
 * default. A boolean option whose Node default is true (or that Node
 * derives from other options) is a tri-state int: LODE_DEFAULT (0) for
 * Node's default, LODE_TRUE or LODE_FALSE to choose (any positive value
 * is true, any negative false). See docs/design.md. */
#ifndef LODE_OPTIONS_H
#define LODE_OPTIONS_H

#define LODE_DEFAULT 0
#define LODE_TRUE 1
#define LODE_FALSE (-1)

/* The value of a tri-state option whose Node default is `dflt`. */
#define LODE_OPT_BOOL(v, dflt) ((v) == 0 ? (dflt) : (v) > 0)

#endif
