/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include "hostname.h"
#include "macro.h"
#include "protocol.h"
#include "strv.h"
#include "verdict.h"

static const char * const verdict_kind_names[_VERDICT_KIND_MAX] = {
        [VERDICT_UNKNOWN]   = "unknown",
        [VERDICT_PASS]      = "pass",
        [VERDICT_WARN]      = "warn",
        [VERDICT_TEMPERROR] = "temperror",
        [VERDICT_FAIL]      = "fail",
};

static const char * const reason_names[_REASON_MAX] = {
        [REASON_NO_PTR]           = "no-ptr",
        [REASON_FORWARD_MISSING]  = "forward-missing",
        [REASON_FORWARD_MISMATCH] = "forward-mismatch",
        [REASON_MULTIPLE_PTR]     = "multiple-ptr",
        [REASON_GENERIC_PTR]      = "generic-ptr",
        [REASON_HELO_MISMATCH]    = "helo-mismatch",
        [REASON_HELO_INVALID]     = "helo-invalid",
        [REASON_HELO_NOT_FQDN]    = "helo-not-fqdn",
        [REASON_HELO_UNRESOLVABLE] = "helo-unresolvable",
        [REASON_INVALID_NAME]     = "invalid-name",
        [REASON_SERVFAIL]         = "servfail",
        [REASON_TIMEOUT]          = "timeout",
};

static int lookup(const char * const *table, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -EINVAL;
}

const char *verdict_kind_to_string(VerdictKind k) {
        return k < _VERDICT_KIND_MAX ? verdict_kind_names[k] : NULL;
}

int verdict_kind_from_string(const char *s) {
        return lookup(verdict_kind_names, _VERDICT_KIND_MAX, s);
}

const char *reason_to_string(Reason r) {
        return r < _REASON_MAX ? reason_names[r] : NULL;
}

int reason_from_string(const char *s) {
        return lookup(reason_names, _REASON_MAX, s);
}

char **reasons_to_strv(unsigned reasons, const char *buf[static _REASON_MAX + 1]) {
        size_t n = 0;

        for (Reason r = 0; r < _REASON_MAX; r++)
                if (reasons & REASON_BIT(r))
                        buf[n++] = reason_to_string(r);
        buf[n] = NULL;
        return (char **) buf;
}

int verdict_kind_severity(VerdictKind k) {
        switch (k) {
        case VERDICT_PASS:      return 0;
        case VERDICT_WARN:      return 1;
        case VERDICT_TEMPERROR:
        case VERDICT_UNKNOWN:   return 2;
        case VERDICT_FAIL:      return 3;
        default:                return 2;
        }
}

VerdictKind verdict_kind_worst(VerdictKind a, VerdictKind b) {
        return verdict_kind_severity(b) > verdict_kind_severity(a) ? b : a;
}

int verdict_kind_exit_status(VerdictKind k) {
        switch (k) {
        case VERDICT_PASS:      return EXIT_PASS;
        case VERDICT_WARN:      return EXIT_WARN;
        case VERDICT_FAIL:      return EXIT_FAIL;
        default:                return EXIT_UNKNOWN;
        }
}

Verdict *verdict_new(const Address *a) {
        Verdict *v = calloc(1, sizeof(Verdict));

        if (!v)
                return NULL;
        v->address = *a;
        v->kind = VERDICT_UNKNOWN;
        return v;
}

Verdict *verdict_new_failed(const Address *a, const char *message) {
        Verdict *v = verdict_new(a);

        if (!v)
                return NULL;
        v->kind = VERDICT_TEMPERROR;
        v->message = strdup(message);
        if (!v->message)
                return verdict_free(v);
        return v;
}

Verdict *verdict_free(Verdict *v) {
        if (!v)
                return NULL;
        strv_free(v->ptr);
        strv_free(v->confirmed);
        strv_free(v->helo);
        strv_free(v->sources);
        predictions_free(v->receivers);
        authority_free(v->authority);
        free(v->message);
        free(v);
        return NULL;
}

Verdict *verdict_copy(const Verdict *v) {
        Verdict *c = malloc(sizeof(Verdict));

        if (!c)
                return NULL;
        *c = *v;
        c->ptr = c->confirmed = c->helo = c->sources = NULL;
        c->receivers = NULL;
        c->authority = NULL;
        c->message = NULL;
        if ((v->ptr && !(c->ptr = strv_copy(v->ptr))) ||
            (v->confirmed && !(c->confirmed = strv_copy(v->confirmed))) ||
            (v->helo && !(c->helo = strv_copy(v->helo))) ||
            (v->sources && !(c->sources = strv_copy(v->sources))) ||
            (v->receivers && !(c->receivers = predictions_copy(v->receivers))) ||
            (v->authority && !(c->authority = authority_copy(v->authority))) ||
            (v->message && !(c->message = strdup(v->message))))
                return verdict_free(c);
        return c;
}
