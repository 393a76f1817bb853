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

static char *ptr_column(const Verdict *v) {
        size_t n = strv_length(v->ptr);
        char *s = NULL;

        if (n == 0)
                return strdup("-");
        for (size_t i = 0; i < n && i < TABLE_PTR_NAMES_SHOWN; i++)
                if (strextendf(&s, "%s%s", i ? ", " : "", v->ptr[i]) < 0)
                        goto oom;
        if (n > TABLE_PTR_NAMES_SHOWN && strextendf(&s, " (+%zu more)", n - TABLE_PTR_NAMES_SHOWN) < 0)
                goto oom;
        return s;
oom:
        free(s);
        return NULL;
}

static char *verdict_column(const Verdict *v) {
        char *s = NULL;

        if (strextendf(&s, "%s%s", verdict_kind_to_string(v->kind), v->stale ? " (stale)" : "") < 0)
                return NULL;
        return s;
}

void verdicts_print_table(FILE *f, Verdict * const *v, size_t n, const TableOptions *o) {
        static const char * const header[] = { "ADDRESS", "VERDICT", "PTR", "DETAIL" };
        size_t width[3] = { strlen(header[0]), strlen(header[1]), strlen(header[2]) };
        _cleanup_strv_free_ char **cells = calloc(3 * n + 1, sizeof(char *));

        if (!cells)
                return;
        for (size_t i = 0; i < n; i++) {
                char addr[ADDRESS_STRING_MAX];
                cells[3 * i] = strdup(address_to_string(&v[i]->address, addr));
                cells[3 * i + 1] = verdict_column(v[i]);
                cells[3 * i + 2] = ptr_column(v[i]);
                for (size_t c = 0; c < 3; c++) {
                        if (!cells[3 * i + c])
                                return;
                        width[c] = MAX(width[c], strlen(cells[3 * i + c]));
                }
        }

        if (o->legend) {
                _cleanup_free_ char *summary = verdicts_summary(v, n);
                fprintf(f, "%s\n", summary ? summary : "");
                fprintf(f, "%-*s  %-*s  %-*s  %s\n", (int) width[0], header[0], (int) width[1], header[1],
                        (int) width[2], header[2], header[3]);
        }
        for (size_t i = 0; i < n; i++) {
                const char *on = o->colour ? verdict_colour(v[i]->kind) : "";
                const char *off = o->colour ? "\033[0m" : "";

                fprintf(f, "%-*s  %s%-*s%s  %-*s  %s\n",
                        (int) width[0], cells[3 * i],
                        on, (int) width[1], cells[3 * i + 1], off,
                        (int) width[2], cells[3 * i + 2],
                        v[i]->message ? v[i]->message : "");
        }
}
