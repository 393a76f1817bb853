/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;

#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_SEC  ((usec_t) 1000000ULL)
#define USEC_PER_MINUTE (60ULL * USEC_PER_SEC)
#define USEC_PER_HOUR (60ULL * USEC_PER_MINUTE)
#define USEC_PER_DAY  (24ULL * USEC_PER_HOUR)
#define USEC_PER_WEEK (7ULL * USEC_PER_DAY)

usec_t now(clockid_t clock);

/* systemd-style time span: "30s", "5min", "1h 30min", "1d"; a bare number is
 * seconds. Returns -EINVAL for malformed text, -ERANGE on overflow. */
int timespan_parse(const char *s, usec_t *ret);

/* "2026-11-28T15:00:00Z"; buf must hold RFC3339_MAX bytes. */
#define RFC3339_MAX 32
const char *format_rfc3339(char buf[static RFC3339_MAX], usec_t realtime);
int parse_rfc3339(const char *s, usec_t *ret);
