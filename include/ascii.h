#ifndef ASCII_H
#define ASCII_H

/* Character classes and case-insensitive comparison for the protocol
 * grammars (RFC 9110 5.6, RFC 5234 B.1): the one home for these small
 * helpers.  Pure, header-only.  Arguments are byte values (0-255). */

#include <stddef.h>
#include <string.h>

static inline int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static inline int ascii_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int ascii_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* OWS: SP or HTAB. */
static inline int ascii_ows(int c)
{
	return c == ' ' || c == '\t';
}

/* tchar (RFC 9110 5.6.2). */
static inline int ascii_tchar(int c)
{
	return ascii_digit(c) || ascii_alpha(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A control character other than HTAB (what a field value may not hold). */
static inline int ascii_ctl(int c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* The value of a hex digit, -1 for another byte. */
static inline int ascii_hex(int c)
{
	if (ascii_digit(c))
		return c - '0';
	c = ascii_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Do a[0..n) and b[0..n) match ignoring ASCII case? */
static inline int ascii_ieqn(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

#endif
