/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "timeutil.h"

usec_t now(clockid_t clock) {
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                abort();        /* only with an invalid clock id: a bug */
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

static const struct {
        const char *suffix;
        usec_t usec;
} time_units[] = {
        /* Longest first, so that "min" is not read as "m" + "in". */
        { "seconds", USEC_PER_SEC },
        { "second",  USEC_PER_SEC },
        { "minutes", USEC_PER_MINUTE },
        { "minute",  USEC_PER_MINUTE },
        { "months",  30ULL * USEC_PER_DAY + 10ULL * USEC_PER_HOUR + 30ULL * USEC_PER_MINUTE },
        { "month",   30ULL * USEC_PER_DAY + 10ULL * USEC_PER_HOUR + 30ULL * USEC_PER_MINUTE },
        { "msec",    USEC_PER_MSEC },
        { "usec",    1 },
        { "hours",   USEC_PER_HOUR },
        { "hour",    USEC_PER_HOUR },
        { "weeks",   USEC_PER_WEEK },
        { "week",    USEC_PER_WEEK },
        { "days",    USEC_PER_DAY },
        { "day",     USEC_PER_DAY },
        { "sec",     USEC_PER_SEC },
        { "min",     USEC_PER_MINUTE },
        { "hr",      USEC_PER_HOUR },
        { "ms",      USEC_PER_MSEC },
        { "us",      1 },
        { "s",       USEC_PER_SEC },
        { "m",       USEC_PER_MINUTE },
        { "h",       USEC_PER_HOUR },
        { "d",       USEC_PER_DAY },
        { "w",       USEC_PER_WEEK },
        { "",        USEC_PER_SEC },   /* a bare number */
};

int timespan_parse(const char *s, usec_t *ret) {
        usec_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;
        for (;;) {
                unsigned long long v;
                const char *p;
                size_t i;

                s += strspn(s, " \t");
                if (!*s)
                        break;
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;         /* also rejects "-5s" */
                errno = 0;
                v = strtoull(s, (char **) &p, 10);
                if (errno == ERANGE)
                        return -ERANGE;
                s = p;
                s += strspn(s, " \t");
                for (i = 0; i < ELEMENTSOF(time_units); i++) {
                        size_t l = strlen(time_units[i].suffix);
                        if (strncmp(s, time_units[i].suffix, l) == 0 &&
                            (s[l] == 0 || s[l] == ' ' || s[l] == '\t' || isdigit((unsigned char) s[l])))
                                break;
                }
                if (i >= ELEMENTSOF(time_units))
                        return -EINVAL;
                if (v > (USEC_INFINITY - 1 - total) / time_units[i].usec)
                        return -ERANGE;
                total += v * time_units[i].usec;
                s += strlen(time_units[i].suffix);
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

const char *format_rfc3339(char buf[static RFC3339_MAX], usec_t realtime) {
        time_t t = (time_t) (realtime / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(buf, RFC3339_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                strcpy(buf, "1970-01-01T00:00:00Z");
        return buf;
}

int parse_rfc3339(const char *s, usec_t *ret) {
        struct tm tm = {};
        const char *e;
        time_t t;

        e = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (!e || *e)
                return -EINVAL;
        t = timegm(&tm);
        if (t < 0)
                return -ERANGE;
        *ret = (usec_t) t * USEC_PER_SEC;
        return 0;
}
