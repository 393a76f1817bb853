/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "json.h"
#include "verdict.h"

/* One model, two renderings: the aligned table and the JSON of the contract
 * are both made from a list of Verdicts, so they cannot drift apart. */
typedef struct TableOptions {
        bool legend;            /* summary line and column header */
        bool colour;
} TableOptions;

void verdicts_print_json_array(FILE *f, Verdict * const *v, size_t n, bool pretty);
void verdicts_print_table(FILE *f, Verdict * const *v, size_t n, const TableOptions *o);
VerdictKind verdicts_worst(Verdict * const *v, size_t n);
/* "3 addresses: 2 pass, 1 fail" */
char *verdicts_summary(Verdict * const *v, size_t n);
/* Colour only on a terminal and never when NO_COLOR is set (no-color.org). */
bool colour_wanted(FILE *f);
