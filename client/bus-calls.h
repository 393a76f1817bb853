/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "timeutil.h"
#include "verdict.h"

typedef struct Verdicts {
        Verdict **v;
        size_t n;
} Verdicts;

void verdicts_done(Verdicts *l);
int append_verdict(Verdicts *l, Verdict *v);

/* The session bus (user) or the system bus, calls timing out after timeout. */
void bus_calls_configure(bool user, usec_t timeout);
int bus_connect(sd_bus **ret);

/* Says what went wrong, in words a person can act on; returns the exit
 * status as a negative number. */
int call_failed(const char *what, const sd_bus_error *error, int r);

/* The watched verdicts, or only those that are not pass, a page at a time. */
int get_verdicts(sd_bus *bus, bool problems_only, Verdicts *ret);
int get_time_property(sd_bus *bus, const char *name, usec_t *ret);
int get_summary(sd_bus *bus, VerdictKind *ret);
/* Discovery's notes for the administrator (NULL: none). */
int get_notes(sd_bus *bus, char ***ret);
int get_checks_total(sd_bus *bus, uint64_t ret[static _VERDICT_KIND_MAX]);
