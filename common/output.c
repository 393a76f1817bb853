/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <unistd.h>

#include "macro.h"
#include "output.h"
#include "verdict-wire.h"
#include "strv.h"

/* Beyond this many PTR names the table shows the first few and a count. */
#define TABLE_PTR_NAMES_SHOWN 3

void verdicts_print_json_array(FILE *f, Verdict * const *v, size_t n, bool pretty) {
        JsonWriter w;

        json_init(&w, f, pretty);
        json_begin_array(&w);
        for (size_t i = 0; i < n; i++)
                verdict_write_json(&w, v[i]);
        json_end_array(&w);
        json_finish(&w);
}

VerdictKind verdicts_worst(Verdict * const *v, size_t n) {
        VerdictKind worst = VERDICT_PASS;

        for (size_t i = 0; i < n; i++)
                worst = verdict_kind_worst(worst, v[i]->kind);
        return worst;
}

char *verdicts_summary(Verdict * const *v, size_t n) {
        static const VerdictKind order[] = {
                VERDICT_PASS, VERDICT_WARN, VERDICT_FAIL, VERDICT_TEMPERROR, VERDICT_UNKNOWN,
        };
        char *s = NULL;
        bool first = true;

        if (strextendf(&s, "%zu address%s", n, n == 1 ? "" : "es") < 0)
                return NULL;
        for (size_t k = 0; k < ELEMENTSOF(order); k++) {
                size_t c = 0;
                for (size_t i = 0; i < n; i++)
                        c += v[i]->kind == order[k];
                if (c == 0)
                        continue;
                if (strextendf(&s, "%s%zu %s", first ? ": " : ", ", c, verdict_kind_to_string(order[k])) < 0) {
                        free(s);
                        return NULL;
                }
                first = false;
        }
        return s;
}

bool colour_wanted(FILE *f) {
        const char *t = getenv("TERM");

        return !getenv("NO_COLOR") && isatty(fileno(f)) && !(t && streq(t, "dumb"));
}

static const char *verdict_colour(VerdictKind k) {
        switch (k) {
        case VERDICT_PASS:      return "\033[32m";
        case VERDICT_WARN:      return "\033[33m";
        case VERDICT_FAIL:      return "\033[1;31m";
        default:                return "\033[35m";
        }
}

/* The first names of l joined, "(+N more)" after them; "-" for none. */
static char *names_column(char * const *l) {
        size_t n = strv_length(l);
        char *s = NULL;

        if (n == 0)
                return strdup("-");
        for (size_t i = 0; i < n && i < TABLE_PTR_NAMES_SHOWN; i++)
                if (strextendf(&s, "%s%s", i ? ", " : "", l[i]) < 0)
                        goto oom;
        if (n > TABLE_PTR_NAMES_SHOWN && strextendf(&s, " (+%zu more)", n - TABLE_PTR_NAMES_SHOWN) < 0)
                goto oom;
        return s;
oom:
        free(s);
        return NULL;
}

static char *ptr_column(const Verdict *v) {
        return names_column(v->ptr);
}

static char *helo_column(const Verdict *v) {
        return names_column(v->helo);
}

static char *receivers_column(const Verdict *v) {
        return predictions_summary(v->receivers);
}

static char *address_column(const Verdict *v) {
        char addr[ADDRESS_STRING_MAX];

        return strdup(address_to_string(&v->address, addr));
}

static char *verdict_column(const Verdict *v) {
        char *s = NULL;

        if (strextendf(&s, "%s%s", verdict_kind_to_string(v->kind), v->stale ? " (stale)" : "") < 0)
                return NULL;
        return s;
}

/* The table's columns before DETAIL (the message, last and unpadded). */
static const struct {
        const char *header;
        char *(*cell)(const Verdict *v);
        bool coloured;
} table_columns[] = {
        { "ADDRESS", address_column, false },
        { "VERDICT", verdict_column, true  },
        { "PTR",     ptr_column,     false },
        { "HELO",    helo_column,    false },
        { "RECEIVERS", receivers_column, false },
};
#define N_COLUMNS ELEMENTSOF(table_columns)

void verdicts_print_table(FILE *f, Verdict * const *v, size_t n, const TableOptions *o) {
        _cleanup_strv_free_ char **cells = calloc(N_COLUMNS * n + 1, sizeof(char *));
        size_t width[N_COLUMNS];

        if (!cells)
                return;
        for (size_t c = 0; c < N_COLUMNS; c++)
                width[c] = strlen(table_columns[c].header);
        for (size_t i = 0; i < n; i++)
                for (size_t c = 0; c < N_COLUMNS; c++) {
                        char *cell = cells[N_COLUMNS * i + c] = table_columns[c].cell(v[i]);
                        if (!cell)
                                return;
                        width[c] = MAX(width[c], strlen(cell));
                }

        if (o->legend) {
                _cleanup_free_ char *summary = verdicts_summary(v, n);
                fprintf(f, "%s\n", summary ? summary : "");
                for (size_t c = 0; c < N_COLUMNS; c++)
                        fprintf(f, "%-*s  ", (int) width[c], table_columns[c].header);
                fputs("DETAIL\n", f);
        }
        for (size_t i = 0; i < n; i++) {
                for (size_t c = 0; c < N_COLUMNS; c++) {
                        bool colour = o->colour && table_columns[c].coloured;
                        fprintf(f, "%s%-*s%s  ", colour ? verdict_colour(v[i]->kind) : "", (int) width[c],
                                cells[N_COLUMNS * i + c], colour ? "\033[0m" : "");
                }
                fprintf(f, "%s\n", v[i]->message ? v[i]->message : "");
        }
}
