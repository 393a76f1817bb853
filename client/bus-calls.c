/* SPDX-License-Identifier: MIT */
/* The client's side of the bus: connecting, the calls it makes, and what a
 * failed call means to the person who typed the command. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-calls.h"
#include "log.h"
#include "macro.h"
#include "protocol.h"
#include "strv.h"
#include "verdict-wire.h"

static bool conf_user;
static usec_t conf_timeout = 60 * USEC_PER_SEC;

void bus_calls_configure(bool user, usec_t timeout) {
        conf_user = user;
        conf_timeout = timeout;
}

void verdicts_done(Verdicts *l) {
        for (size_t i = 0; i < l->n; i++)
                verdict_free(l->v[i]);
        free(l->v);
        *l = (Verdicts) {};
}

int bus_connect(sd_bus **ret) {
        int r = conf_user ? sd_bus_default_user(ret) : sd_bus_default_system(ret);

        if (r < 0) {
                log_error_errno(r, "Cannot connect to the %s bus", conf_user ? "session" : "system");
                return -EXIT_UNKNOWN;
        }
        (void) sd_bus_set_method_call_timeout(*ret, conf_timeout);
        return 0;
}

/* What a failed call means to the person who typed the command, by D-Bus
 * error name: $WHAT, $MESSAGE, $BUS, $START and $TIMEOUT are filled in. */
static const struct {
        const char *names[3];           /* NULL-terminated */
        const char *text;
        int exit_status;
} call_errors[] = {
        { { SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER },
          "ptrwatchd is not running on the $BUS bus — start it with: $START", EXIT_UNKNOWN },
        { { SD_BUS_ERROR_TIMEOUT, SD_BUS_ERROR_NO_REPLY },
          "ptrwatchd did not answer $WHAT within $TIMEOUT s (--timeout)", EXIT_UNKNOWN },
        { { SD_BUS_ERROR_ACCESS_DENIED },
          "$WHAT: access denied. Refresh and --force are for root and the ptrwatchd user; "
          "a drop-in bus policy can allow others (see the README).", EXIT_UNKNOWN },
        { { BUS_ERROR_RATE_LIMITED },
          "$WHAT: rate-limited by ptrwatchd: $MESSAGE. Try again in a minute, or ask for "
          "watched addresses, which are always answered from the cache.", EXIT_UNKNOWN },
        { { SD_BUS_ERROR_LIMITS_EXCEEDED },
          "$WHAT: ptrwatchd is busy: $MESSAGE", EXIT_UNKNOWN },
        { { SD_BUS_ERROR_INVALID_ARGS },
          "$WHAT: $MESSAGE", EXIT_USAGE },
};

static char *expand(const char *text, char * const *vars) {
        char *out = NULL;

        for (const char *p = text; *p; ) {
                const char *value = NULL;
                size_t skip = 1;
                for (size_t i = 0; vars[i]; i += 2)
                        if (*p == '$' && strncmp(p + 1, vars[i], strlen(vars[i])) == 0) {
                                value = vars[i + 1];
                                skip = 1 + strlen(vars[i]);
                        }
                if (strextendf(&out, "%.*s", value ? (int) strlen(value) : 1, value ? value : p) < 0)
                        return mfree(out);
                p += skip;
        }
        return out;
}

int call_failed(const char *what, const sd_bus_error *error, int r) {
        char timeout[32];
        char *vars[] = {
                (char *) "WHAT", (char *) what,
                (char *) "MESSAGE", (char *) (error->message ? error->message : strerror(-r)),
                (char *) "BUS", (char *) (conf_user ? "session" : "system"),
                (char *) "START", (char *) (conf_user ? "ptrwatchd --user" : "systemctl start ptrwatchd"),
                (char *) "TIMEOUT", timeout,
                NULL,
        };

        snprintf(timeout, sizeof timeout, "%" PRIu64, conf_timeout / USEC_PER_SEC);
        for (size_t i = 0; i < ELEMENTSOF(call_errors); i++) {
                bool match = r == -ETIMEDOUT && i == 1;
                for (size_t k = 0; !match && call_errors[i].names[k]; k++)
                        match = sd_bus_error_has_name(error, call_errors[i].names[k]);
                if (!match)
                        continue;
                _cleanup_free_ char *text = expand(call_errors[i].text, vars);
                log_error("%s", text ? text : call_errors[i].text);
                return -call_errors[i].exit_status;
        }
        log_error("%s failed: %s", what, error->message ? error->message : strerror(-r));
        return -EXIT_UNKNOWN;
}

int append_verdict(Verdicts *l, Verdict *v) {
        Verdict **a = reallocarray(l->v, l->n + 1, sizeof(Verdict *));

        if (!a) {
                verdict_free(v);
                return -ENOMEM;
        }
        a[l->n++] = v;
        l->v = a;
        return 0;
}

/* The watched verdicts, or only those that are not pass, a page at a time:
 * one reply for 100,000 verdicts would come near dbus-daemon's limit. */
#define VERDICTS_PAGE 4096

int get_verdicts(sd_bus *bus, bool problems_only, Verdicts *ret) {
        uint64_t total = UINT64_MAX;

        for (uint64_t offset = 0; offset < total; ) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                size_t before = ret->n;
                Verdict *v;
                int r;

                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "ListVerdicts", &error, &reply,
                                       "ttt", offset, (uint64_t) VERDICTS_PAGE,
                                       (uint64_t) (problems_only ? BUS_LIST_PROBLEMS : 0));
                if (r < 0)
                        return call_failed("ListVerdicts", &error, r);
                r = sd_bus_message_read(reply, "t", &total);
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "a{sv}");
                while (r >= 0 && (r = verdict_read_bus(reply, &v)) > 0)
                        r = append_verdict(ret, v);
                if (r < 0) {
                        log_error_errno(r, "Malformed reply from ptrwatchd");
                        return -EXIT_UNKNOWN;
                }
                if (ret->n == before)
                        break;          /* the list shrank while we read it */
                offset += ret->n - before;
        }
        return 0;
}

int get_time_property(sd_bus *bus, const char *name, usec_t *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t t;
        int r;

        r = sd_bus_get_property_trivial(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, name, &error, 't', &t);
        if (r < 0)
                return call_failed(name, &error, r);
        *ret = t;
        return 0;
}

int get_notes(sd_bus *bus, char ***ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_strv(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Notes", &error, ret);
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_PROPERTY)) {
                *ret = NULL;    /* an older daemon */
                return 0;
        }
        return r < 0 ? call_failed("Notes", &error, r) : 0;
}

int get_summary(sd_bus *bus, VerdictKind *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *s = NULL;
        int r, k;

        r = sd_bus_get_property_string(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Summary", &error, &s);
        if (r < 0)
                return call_failed("Summary", &error, r);
        k = verdict_kind_from_string(s);
        *ret = k < 0 ? VERDICT_UNKNOWN : (VerdictKind) k;
        return 0;
}

int get_checks_total(sd_bus *bus, uint64_t ret[static _VERDICT_KIND_MAX]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *kind;
        uint64_t n;
        int r;

        r = sd_bus_get_property(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "ChecksTotal", &error, &reply, "a{st}");
        if (r < 0)
                return call_failed("ChecksTotal", &error, r);
        r = sd_bus_message_enter_container(reply, 'a', "{st}");
        while (r >= 0 && (r = sd_bus_message_read(reply, "{st}", &kind, &n)) > 0) {
                int k = verdict_kind_from_string(kind);
                if (k >= 0)
                        ret[k] = n;
        }
        if (r < 0) {
                log_error_errno(r, "Malformed ChecksTotal from ptrwatchd");
                return -EXIT_UNKNOWN;
        }
        return 0;
}
