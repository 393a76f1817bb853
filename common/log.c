/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool prefix;
static const char *program = "ptrwatchd";

void log_set_max_level(int level) {
        max_level = level;
}

void log_parse_environment(void) {
        static const char * const names[] = {
                "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
        };
        const char *e = getenv("PTRWATCH_LOG_LEVEL");

        if (!e)
                return;
        for (int i = 0; i < 8; i++)
                if (streq(e, names[i]) || (e[0] == '0' + i && e[1] == 0))
                        max_level = i;
}

void log_set_prefix(bool on) {
        prefix = on;
}

void log_set_program(const char *name) {
        program = name;
}

static void log_va(int level, int error, const char *fmt, va_list ap) {
        int saved_errno = errno;        /* keep %m and the caller's errno intact */

        if (level > max_level)
                return;
        if (prefix)
                fprintf(stderr, "<%d>", level);
        else
                fprintf(stderr, "%s: ", program);
        errno = saved_errno;
        vfprintf(stderr, fmt, ap);
        if (error != 0)
                fprintf(stderr, ": %s", strerror(error < 0 ? -error : error));
        fputc('\n', stderr);
        errno = saved_errno;
}

void log_full(int level, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        log_va(level, 0, fmt, ap);
        va_end(ap);
}

int log_full_errno(int level, int error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        log_va(level, error, fmt, ap);
        va_end(ap);
        return error < 0 ? error : -error;
}
