/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}

int strv_push(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c;

        if (!value)
                return -EINVAL;
        c = reallocarray(*l, n + 2, sizeof(char *));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        char *v = strdup(value);

        if (!v)
                return -ENOMEM;
        return strv_push(l, v);
}

bool strv_contains(char * const *l, const char *s) {
        if (l)
                for (char * const *i = l; *i; i++)
                        if (streq(*i, s))
                                return true;
        return false;
}

char **strv_copy(char * const *l) {
        char **c = calloc(strv_length(l) + 1, sizeof(char *));
        size_t k = 0;

        if (!c)
                return NULL;
        if (l)
                for (char * const *i = l; *i; i++) {
                        c[k] = strdup(*i);
                        if (!c[k])
                                return strv_free(c);
                        k++;
                }
        return c;
}

char *strv_join(char * const *l, const char *sep) {
        size_t n = 0, k = strlen(sep);
        char *s, *p;

        if (l)
                for (char * const *i = l; *i; i++)
                        n += strlen(*i) + k;
        s = p = malloc(n + 1);
        if (!s)
                return NULL;
        *p = 0;
        if (l)
                for (char * const *i = l; *i; i++) {
                        if (i != l)
                                p = stpcpy(p, sep);
                        p = stpcpy(p, *i);
                }
        return s;
}

int strextendf(char **s, const char *fmt, ...) {
        size_t n = *s ? strlen(*s) : 0;
        va_list ap;
        char *add, *c;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&add, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        c = realloc(*s, n + (size_t) k + 1);
        if (!c) {
                free(add);
                return -ENOMEM;
        }
        memcpy(c + n, add, (size_t) k + 1);
        free(add);
        *s = c;
        return 0;
}

char *strdup_bytes(const void *p, size_t n) {
        char *s = malloc(n + 1);

        if (!s)
                return NULL;
        memcpy(s, p, n);
        s[n] = 0;
        return s;
}

bool utf8_is_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                unsigned n, c;

                if (*p < 0x80) {
                        p++;
                        continue;
                }
                if (*p >= 0xc2 && *p <= 0xdf)
                        n = 1, c = *p & 0x1f;
                else if (*p >= 0xe0 && *p <= 0xef)
                        n = 2, c = *p & 0x0f;
                else if (*p >= 0xf0 && *p <= 0xf4)
                        n = 3, c = *p & 0x07;
                else
                        return false;
                for (unsigned i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;   /* also stops at the NUL */
                        c = (c << 6) | (p[i] & 0x3f);
                }
                if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) || c > 0x10ffff ||
                    (c >= 0xd800 && c <= 0xdfff))
                        return false;
                p += n + 1;
        }
        return true;
}

bool strv_is_utf8(char * const *l) {
        for (char * const *i = l; i && *i; i++)
                if (!utf8_is_valid(*i))
                        return false;
        return true;
}

const char *quote_prefix(const char *s, char buf[static QUOTE_BUF]) {
        size_t n = strnlen(s, QUOTE_MAX + 1);

        if (n <= QUOTE_MAX)
                return s;
        n = QUOTE_MAX;
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;            /* not inside a UTF-8 sequence */
        memcpy(buf, s, n);
        strcpy(buf + n, "…");
        return buf;
}

bool strv_equal(char * const *a, char * const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

void strv_sort(char **l) {
        size_t n = strv_length(l);

        if (n > 1)
                qsort(l, n, sizeof(char *), compare_strings);
}
