/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "verdict.h"

/* The watched verdicts as Prometheus metrics (the contract's "Metrics"),
 * the same from `ptrwatch metrics` and from the daemon's textfile. */
typedef struct MetricsInput {
        Verdict * const *verdicts;      /* as reported: stale set, helo attached */
        size_t n_verdicts;
        uint64_t checks_total[_VERDICT_KIND_MAX];
        const char *version;
} MetricsInput;

void metrics_write(FILE *f, const MetricsInput *in);
