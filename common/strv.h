/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* NULL-terminated string vectors, owned element by element. */
char **strv_free(char **l);
size_t strv_length(char * const *l);
int strv_push(char ***l, char *value);          /* takes value, even on failure */
int strv_extend(char ***l, const char *value);  /* copies value */
bool strv_contains(char * const *l, const char *s);
bool strv_equal(char * const *a, char * const *b);       /* NULL equals empty */
char **strv_copy(char * const *l);
char *strv_join(char * const *l, const char *sep);
void strv_sort(char **l);                       /* in strcmp() order */

static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))

/* Append printf-formatted text to *s (which may be NULL). */
int strextendf(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A C string from n bytes that need not be NUL-terminated (DNS data). */
char *strdup_bytes(const void *p, size_t n);

/* Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF). D-Bus refuses anything else in a string. */
bool utf8_is_valid(const char *s);
bool strv_is_utf8(char * const *l);

/* Quoting what somebody else sent us in an error: at most QUOTE_MAX bytes of
 * it, cut at a character boundary, with "…" when cut, so that a 10 MB value
 * does not come back as a 10 MB error. QUOTE(s) uses a buffer of the
 * enclosing expression's statement. */
#define QUOTE_MAX 64
#define QUOTE_BUF (QUOTE_MAX + sizeof("…"))
const char *quote_prefix(const char *s, char buf[static QUOTE_BUF]);
#define QUOTE(s) quote_prefix((s), (char[QUOTE_BUF]) {})
