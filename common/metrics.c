/* SPDX-License-Identifier: MIT */
#include <inttypes.h>

#include "macro.h"
#include "metrics.h"

/* The text exposition format 0.0.4 (prometheus.io, "Exposition formats"):
 * HELP and TYPE once per metric, label values with \\, \" and \n escaped, no
 * timestamps on samples (node_exporter's textfile collector refuses them). */

static void write_label_value(FILE *f, const char *s) {
        putc_unlocked('"', f);
        for (const char *p = s; *p; p++)
                switch (*p) {
                case '\\': fputs_unlocked("\\\\", f); break;
                case '"':  fputs_unlocked("\\\"", f); break;
                case '\n': fputs_unlocked("\\n", f); break;
                default:   putc_unlocked(*p, f);
                }
        putc_unlocked('"', f);
}

static void write_header(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value",...} value: labels as NULL-terminated name/value pairs. */
static void write_sample(FILE *f, const char *name, const char * const *labels, const char *value) {
        fputs_unlocked(name, f);
        if (labels && labels[0]) {
                putc_unlocked('{', f);
                for (size_t i = 0; labels[i]; i += 2) {
                        if (i > 0)
                                putc_unlocked(',', f);
                        fputs_unlocked(labels[i], f);
                        putc_unlocked('=', f);
                        write_label_value(f, labels[i + 1]);
                }
                putc_unlocked('}', f);
        }
        putc_unlocked(' ', f);
        fputs_unlocked(value, f);
        putc_unlocked('\n', f);
}

static const char *seconds(char buf[static 32], usec_t t) {
        snprintf(buf, 32, "%" PRIu64, t / USEC_PER_SEC);
        return buf;
}

typedef void (*per_verdict_t)(FILE *f, const char *addr, const Verdict *v, const MetricsInput *in);

static void samples_verdict(FILE *f, const char *addr, const Verdict *v, const MetricsInput *in) {
        /* one series per kind that a verdict can be, so that a change is a
         * change of value, not a series appearing */
        for (VerdictKind k = 0; k < _VERDICT_KIND_MAX; k++)
                write_sample(f, "ptrwatch_verdict",
                             (const char * const []) { "address", addr, "verdict", verdict_kind_to_string(k), NULL },
                             k == v->kind ? "1" : "0");
}

static void samples_reason(FILE *f, const char *addr, const Verdict *v, const MetricsInput *in) {
        for (Reason r = 0; r < _REASON_MAX; r++)
                if (v->reasons & REASON_BIT(r))
                        write_sample(f, "ptrwatch_reason",
                                     (const char * const []) { "address", addr, "reason", reason_to_string(r), NULL },
                                     "1");
}

static void samples_stale(FILE *f, const char *addr, const Verdict *v, const MetricsInput *in) {
        write_sample(f, "ptrwatch_stale", (const char * const []) { "address", addr, NULL }, v->stale ? "1" : "0");
}

static void samples_last_check(FILE *f, const char *addr, const Verdict *v, const MetricsInput *in) {
        char buf[32];
        if (v->checked_at > 0)
                write_sample(f, "ptrwatch_last_check_timestamp_seconds",
                             (const char * const []) { "address", addr, NULL }, seconds(buf, v->checked_at));
}

static void samples_expiry(FILE *f, const char *addr, const Verdict *v, const MetricsInput *in) {
        char buf[32];
        if (v->expires_at > 0)
                write_sample(f, "ptrwatch_expiry_timestamp_seconds",
                             (const char * const []) { "address", addr, NULL }, seconds(buf, v->expires_at));
}

static void samples_ptr_info(FILE *f, const char *addr, const Verdict *v, const MetricsInput *in) {
        static char * const no_helo[] = { (char *) "", NULL };
        char * const *helos = v->helo && v->helo[0] ? v->helo : no_helo;

        for (char * const *p = v->ptr; p && *p; p++)
                for (char * const *h = helos; *h; h++)
                        write_sample(f, "ptrwatch_ptr_info",
                                     (const char * const []) { "address", addr, "ptr", *p, "helo", *h, NULL }, "1");
}

/* One table: each metric of the contract, its type and help, and the
 * samples one verdict gives it. */
static const struct {
        const char *name, *type, *help;
        per_verdict_t samples;
} per_address[] = {
        { "ptrwatch_verdict", "gauge",
          "1 for the current reverse DNS verdict of the address, 0 for the others.", samples_verdict },
        { "ptrwatch_reason", "gauge", "1 for each reason the verdict gives.", samples_reason },
        { "ptrwatch_stale", "gauge",
          "1 while the last definitive verdict is served because DNS does not answer.", samples_stale },
        { "ptrwatch_last_check_timestamp_seconds", "gauge",
          "When the address was last checked (Unix time).", samples_last_check },
        { "ptrwatch_expiry_timestamp_seconds", "gauge",
          "When the DNS data behind the verdict expires and the address is checked again (Unix time).",
          samples_expiry },
        { "ptrwatch_ptr_info", "gauge", "1 for each PTR name of the address and HELO name mail is sent with.",
          samples_ptr_info },
};

void metrics_write(FILE *f, const MetricsInput *in) {
        char buf[32];

        for (size_t m = 0; m < ELEMENTSOF(per_address); m++) {
                write_header(f, per_address[m].name, per_address[m].type, per_address[m].help);
                for (size_t i = 0; i < in->n_verdicts; i++) {
                        char addr[ADDRESS_STRING_MAX];
                        address_to_string(&in->verdicts[i]->address, addr);
                        per_address[m].samples(f, addr, in->verdicts[i], in);
                }
        }

        write_header(f, "ptrwatch_checks_total", "counter", "Checks made since ptrwatchd started, by verdict.");
        for (VerdictKind k = 0; k < _VERDICT_KIND_MAX; k++) {
                snprintf(buf, sizeof buf, "%" PRIu64, in->checks_total[k]);
                write_sample(f, "ptrwatch_checks_total",
                             (const char * const []) { "result", verdict_kind_to_string(k), NULL }, buf);
        }

        write_header(f, "ptrwatch_build_info", "gauge", "The version of ptrwatch.");
        write_sample(f, "ptrwatch_build_info", (const char * const []) { "version", in->version, NULL }, "1");
}
