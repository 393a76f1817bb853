/* SPDX-License-Identifier: MIT */
/* How a parser of the configuration says what is wrong: shared by config.c
 * (files, lines, sections) and config-keys.c (each key's value), beneath
 * both. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "config-parse.h"

int config_fail(ParseState *s, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&what, fmt, ap);
        va_end(ap);
        free(s->error);
        s->error = NULL;
        if (k < 0 || asprintf(&s->error, "%s:%u: %s", s->file, s->line, what) < 0)
                return -ENOMEM;
        return -EINVAL;
}
