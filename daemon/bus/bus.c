/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bus.h"
#include "verdict-wire.h"
#include "bounds.h"
#include "ratelimit.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

/* Our error names, in one table; clients map them back with the same table. */
const sd_bus_error_map bus_error_map[] = {
        SD_BUS_ERROR_MAP(BUS_ERROR_RATE_LIMITED, EBUSY),
        SD_BUS_ERROR_MAP_END
};

/* Who called: asked of dbus-daemon only when a call may cost DNS queries. */
typedef struct Caller {
        uid_t uid;
        bool privileged;                /* root or the daemon's user; everyone on a session bus */
} Caller;

typedef struct PendingCall PendingCall;
struct PendingCall {
        Bus *bus;
        sd_bus_message *message;
        Caller caller;
        PendingCall *prev, *next;
};

struct Bus {
        sd_bus *bus;
        Manager *manager;
        bool user;
        PendingCall *pending;
        RateLimit limits;
};

int bus_append_verdict(sd_bus_message *reply, const Entry *e) {
        Verdict view = manager_view(e->manager, e);
        return verdict_append_bus(reply, &view);
}

/* ---- who may do what ---- */

static int caller_get(Bus *b, sd_bus_message *m, Caller *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid;
        int r;

        if (b->user) {
                *ret = (Caller) { .uid = geteuid(), .privileged = true };
                return 0;
        }
        /* A round trip to dbus-daemon, never /proc: the bus's own word. */
        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        *ret = (Caller) { .uid = uid, .privileged = uid == 0 || uid == geteuid() };
        return 0;
}

/* ---- methods ---- */

/* A call that waits for DNS, within the caller's share of the pool:
 * -EBUSY when that is full. */
static int pending_new(Bus *b, sd_bus_message *m, const Caller *caller, PendingCall **ret) {
        PendingCall *p;
        int r;

        r = ratelimit_take_pending(&b->limits, caller->uid, caller->privileged);
        if (r < 0)
                return r;
        p = calloc(1, sizeof(PendingCall));
        if (!p) {
                ratelimit_release_pending(&b->limits, caller->uid, caller->privileged);
                return -ENOMEM;
        }
        *p = (PendingCall) { .bus = b, .message = sd_bus_message_ref(m), .caller = *caller, .next = b->pending };
        if (b->pending)
                b->pending->prev = p;
        b->pending = p;
        *ret = p;
        return 0;
}

static void pending_free(PendingCall *p) {
        Bus *b = p->bus;

        if (p->prev)
                p->prev->next = p->next;
        else
                b->pending = p->next;
        if (p->next)
                p->next->prev = p->prev;
        ratelimit_release_pending(&b->limits, p->caller.uid, p->caller.privileged);
        sd_bus_message_unref(p->message);
        free(p);
}

static int reply_verdict(sd_bus_message *m, const Entry *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = bus_append_verdict(reply, e);
        if (r < 0)
                return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_FAILED, "Failed to build the reply: %s",
                                                  strerror(-r));
        return sd_bus_send(NULL, reply, NULL);
}

static void on_check_answered(Manager *manager, const Entry *e, void *userdata) {
        PendingCall *p = userdata;
        int r;

        r = reply_verdict(p->message, e);
        if (r < 0)
                log_warning_errno(r, "Failed to reply to a Check call");
        pending_free(p);
}

int bus_check_args(const char *text, uint64_t flags, Address *ret, bool *ret_force, char **ret_error) {
        const char *why;
        int k;

        if (address_parse(text, ret, &why) < 0)
                k = asprintf(ret_error, "Invalid address '%s': %s", QUOTE(text), why);
        else if (flags & ~(uint64_t) BUS_CHECK_FORCE)
                k = asprintf(ret_error, "Unknown flags 0x%" PRIx64 " (only 0x1, bypass the cache, is defined)",
                             flags & ~(uint64_t) BUS_CHECK_FORCE);
        else {
                *ret_force = flags & BUS_CHECK_FORCE;
                return 0;
        }
        if (k < 0)
                *ret_error = NULL;
        return -EINVAL;
}

static int pending_refused(sd_bus_error *error, int r) {
        if (r == -EBUSY)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Too many calls are already waiting for DNS (%d in all, %d per user); "
                                         "try again shortly", PENDING_REPLIES_MAX, PENDING_PER_USER_MAX);
        return r;
}

static int method_check(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *invalid = NULL;
        Bus *b = userdata;
        Manager *manager = b->manager;
        const char *text;
        uint64_t flags;
        Caller caller;
        Address a;
        Entry *e;
        PendingCall *p;
        bool force;
        int r;

        r = sd_bus_message_read(m, "st", &text, &flags);
        if (r < 0)
                return r;
        if (bus_check_args(text, flags, &a, &force, &invalid) < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, invalid ? invalid : "Invalid arguments");

        e = manager_get_entry(manager, &a);
        if (!force && e && manager_entry_is_fresh(manager, e))
                return reply_verdict(m, e);     /* from the cache: no question asked of anyone */

        r = caller_get(b, m, &caller);
        if (r < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Could not tell who is calling");
        if (force && !caller.privileged)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "Bypassing the cache is for root and the ptrwatchd user");

        /* A live check: unprivileged users may not turn us into a query
         * cannon, however many connections they open. Joining a check
         * already under way costs no query. */
        if (!(e && e->checking) && !caller.privileged &&
            !ratelimit_allow(&b->limits, caller.uid, now(CLOCK_MONOTONIC)))
                return sd_bus_error_setf(error, BUS_ERROR_RATE_LIMITED,
                                         "Too many live checks: at most %d at once, then one every %llu s; "
                                         "cached verdicts are not limited",
                                         RATELIMIT_BURST, (unsigned long long) (RATELIMIT_INTERVAL_USEC / USEC_PER_SEC));

        r = pending_new(b, m, &caller, &p);
        if (r < 0)
                return pending_refused(error, r);
        /* A forced check joins one under way: that answer is as fresh. */
        r = manager_check(manager, &a, on_check_answered, p);
        if (r < 0) {
                pending_free(p);
                return r;
        }
        return 1;
}

static void on_explained(Manager *manager, Verdict *v, Trace *trace, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        PendingCall *p = userdata;
        int r;

        r = sd_bus_message_new_method_return(p->message, &reply);
        if (r >= 0)
                r = bus_append_explanation(reply, v, trace);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        else
                (void) sd_bus_reply_method_errorf(p->message, SD_BUS_ERROR_FAILED, "Failed to build the reply: %s",
                                                  strerror(-r));
        verdict_free(v);
        pending_free(p);
}

static int method_explain(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *invalid = NULL;
        Bus *b = userdata;
        const char *text;
        Caller caller;
        PendingCall *p;
        Address a;
        bool force;
        int r;

        r = sd_bus_message_read(m, "s", &text);
        if (r < 0)
                return r;
        if (bus_check_args(text, 0, &a, &force, &invalid) < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, invalid ? invalid : "Invalid arguments");
        r = caller_get(b, m, &caller);
        if (r < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Could not tell who is calling");
        /* every lookup asked again: a live check, limited as one */
        if (!caller.privileged && !ratelimit_allow(&b->limits, caller.uid, now(CLOCK_MONOTONIC)))
                return sd_bus_error_setf(error, BUS_ERROR_RATE_LIMITED,
                                         "Too many live checks: at most %d at once, then one every %llu s",
                                         RATELIMIT_BURST, (unsigned long long) (RATELIMIT_INTERVAL_USEC / USEC_PER_SEC));
        r = pending_new(b, m, &caller, &p);
        if (r < 0)
                return pending_refused(error, r);
        r = manager_explain(b->manager, &a, on_explained, p);
        if (r < 0) {
                pending_free(p);
                return r;
        }
        return 1;
}

/* Whether e is listed: everything, or only the problems (not pass, as
 * reported: a stale pass is a pass). */
static bool listed(Manager *manager, const Entry *e, bool problems_only) {
        Verdict scratch;
        return e && (!problems_only || manager_reported(manager, e, &scratch, NULL)->kind != VERDICT_PASS);
}

static uint64_t count_listed(Manager *manager, bool problems_only) {
        uint64_t n = 0;

        for (size_t i = 0; i < manager->n_watched; i++)
                n += listed(manager, manager_get_entry(manager, &manager->watched[i]), problems_only);
        return n;
}

/* The watched verdicts from the offset-th listed one, at most limit of them,
 * in the order of Addresses. */
static int append_watched(sd_bus_message *reply, Manager *manager, uint64_t offset, uint64_t limit,
                          bool problems_only) {
        uint64_t index = 0;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        for (size_t i = 0; r >= 0 && i < manager->n_watched; i++) {
                Entry *e = manager_get_entry(manager, &manager->watched[i]);
                if (!listed(manager, e, problems_only))
                        continue;
                if (index >= offset && index - offset < limit)
                        r = bus_append_verdict(reply, e);
                index++;
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int too_many(sd_bus_error *error, uint64_t n) {
        return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                 "%" PRIu64 " verdicts do not fit one reply (at most %d): use ListVerdicts", n,
                                 VERDICTS_PER_REPLY_MAX);
}

static int method_get_verdicts(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Bus *b = userdata;
        int r;

        /* dbus-daemon drops a reply over its message size limit (32 MiB on
         * the system bus) and the caller gets no answer at all. */
        if (b->manager->n_watched > VERDICTS_PER_REPLY_MAX)
                return too_many(error, b->manager->n_watched);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = append_watched(reply, b->manager, 0, UINT64_MAX, false);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_verdicts(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Bus *b = userdata;
        uint64_t offset, limit, flags;
        int r;

        r = sd_bus_message_read(m, "ttt", &offset, &limit, &flags);
        if (r < 0)
                return r;
        if (flags & ~(uint64_t) BUS_LIST_FLAGS_ALL)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Unknown flags 0x%" PRIx64 " (only 0x1, problems only, is defined)",
                                         flags & ~(uint64_t) BUS_LIST_FLAGS_ALL);
        r = sd_bus_message_new_method_return(m, &reply);
        /* the total goes first in the reply: counted, then the page written */
        if (r >= 0)
                r = sd_bus_message_append(reply, "t", count_listed(b->manager, flags & BUS_LIST_PROBLEMS));
        if (r >= 0)
                r = append_watched(reply, b->manager, offset, MIN(limit, (uint64_t) VERDICTS_PER_REPLY_MAX),
                                   flags & BUS_LIST_PROBLEMS);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static void on_refresh_finished(Manager *manager, void *userdata) {
        PendingCall *p = userdata;
        int r;

        r = sd_bus_reply_method_return(p->message, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to reply to a Refresh call");
        pending_free(p);
}

static int method_refresh(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        Caller caller;
        PendingCall *p;
        int r;

        r = caller_get(b, m, &caller);
        if (r < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Could not tell who is calling");
        r = pending_new(b, m, &caller, &p);
        if (r < 0)
                return pending_refused(error, r);
        r = manager_refresh(b->manager, on_refresh_finished, p);
        if (r < 0) {
                pending_free(p);
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Refresh failed: %s", strerror(-r));
        }
        return 1;
}

/* ---- properties ---- */

static int property_get_addresses(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && i < b->manager->n_watched; i++) {
                char s[ADDRESS_STRING_MAX];
                r = sd_bus_message_append(reply, "s", address_to_string(&b->manager->watched[i], s));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int property_get_notes(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;

        return sd_bus_message_append_strv(reply, b->manager->notes);
}

static int property_get_checks_total(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{st}");
        for (VerdictKind k = 0; r >= 0 && k < _VERDICT_KIND_MAX; k++)
                r = sd_bus_message_append(reply, "{st}", verdict_kind_to_string(k), b->manager->checks_total[k]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int property_get_summary(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;

        return sd_bus_message_append(reply, "s", verdict_kind_to_string(b->manager->summary));
}

static int property_get_time(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;

        return sd_bus_message_append(reply, "t", (uint64_t) (streq(property, "LastRefresh")
                                                             ? b->manager->last_refresh
                                                             : b->manager->next_refresh));
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Addresses", "as", property_get_addresses, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Summary", "s", property_get_summary, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastRefresh", "t", property_get_time, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NextRefresh", "t", property_get_time, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* changes with every check: read it, no signal */
        SD_BUS_PROPERTY("ChecksTotal", "a{st}", property_get_checks_total, 0, 0),
        SD_BUS_PROPERTY("Notes", "as", property_get_notes, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Check",
                                SD_BUS_ARGS("s", address, "t", flags),
                                SD_BUS_RESULT("a{sv}", verdict),
                                method_check, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Explain",
                                SD_BUS_ARGS("s", address),
                                SD_BUS_RESULT("a{sv}", explanation),
                                method_explain, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetVerdicts",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("aa{sv}", verdicts),
                                method_get_verdicts, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListVerdicts",
                                SD_BUS_ARGS("t", offset, "t", limit, "t", flags),
                                SD_BUS_RESULT("t", total, "aa{sv}", verdicts),
                                method_list_verdicts, SD_BUS_VTABLE_UNPRIVILEGED),
        /* Who may Refresh is the bus policy's call: root and ptrwatchd by
         * default, others through a drop-in (README). */
        SD_BUS_METHOD_WITH_ARGS("Refresh",
                                SD_BUS_NO_ARGS,
                                SD_BUS_NO_RESULT,
                                method_refresh, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("VerdictChanged",
                                SD_BUS_ARGS("s", address, "s", old, "s", new, "as", reasons),
                                0),
        SD_BUS_VTABLE_END
};

/* ---- manager hooks ---- */

static void on_verdict_changed(Manager *manager, const Entry *e, VerdictKind old, const Verdict *v) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *signal = NULL;
        const char *reasons[_REASON_MAX + 1];
        Bus *b = manager->hooks.userdata;
        char addr[ADDRESS_STRING_MAX];
        int r;

        r = sd_bus_message_new_signal(b->bus, &signal, BUS_PATH, BUS_INTERFACE, "VerdictChanged");
        if (r >= 0)
                r = sd_bus_message_append(signal, "sss", address_to_string(&e->address, addr),
                                          verdict_kind_to_string(old), verdict_kind_to_string(v->kind));
        if (r >= 0)
                r = sd_bus_message_append_strv(signal, reasons_to_strv(v->reasons, reasons));
        if (r >= 0)
                r = sd_bus_send(b->bus, signal, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to send VerdictChanged");
}

static void on_properties_changed(Manager *manager, const char *property) {
        Bus *b = manager->hooks.userdata;
        int r;

        r = sd_bus_emit_properties_changed(b->bus, BUS_PATH, BUS_INTERFACE, property, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged for %s", property);
}

/* ---- bring-up ---- */

int bus_new(Manager *manager, bool user, Bus **ret) {
        Bus *b;
        int r;

        b = calloc(1, sizeof(Bus));
        if (!b)
                return -ENOMEM;
        b->manager = manager;
        b->user = user;

        /* sd_bus_open_system() honours DBUS_SYSTEM_BUS_ADDRESS. */
        r = user ? sd_bus_open_user(&b->bus) : sd_bus_open_system(&b->bus);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to the %s bus", user ? "session" : "system");
                goto fail;
        }
        (void) sd_bus_error_add_map(bus_error_map);
        /* Order matters: vtable, then name, then the event loop. */
        r = sd_bus_add_object_vtable(b->bus, NULL, BUS_PATH, BUS_INTERFACE, manager_vtable, b);
        if (r < 0) {
                log_error_errno(r, "Failed to add the object");
                goto fail;
        }
        r = sd_bus_request_name(b->bus, BUS_NAME, 0);
        if (r < 0) {
                if (r == -EEXIST)
                        log_error("%s is already owned: is another ptrwatchd running?", BUS_NAME);
                else
                        log_error_errno(r, "Failed to acquire %s", BUS_NAME);
                goto fail;
        }
        r = sd_bus_attach_event(b->bus, manager->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto fail;
        /* Losing the bus ends the daemon (non-zero), and systemd restarts it. */
        r = sd_bus_set_exit_on_disconnect(b->bus, true);
        if (r < 0)
                goto fail;

        manager->hooks = (ManagerHooks) {
                .verdict_changed = on_verdict_changed,
                .properties_changed = on_properties_changed,
                .userdata = b,
        };
        *ret = b;
        return 0;

fail:
        bus_free(b);
        return r;
}

Bus *bus_free(Bus *b) {
        if (!b)
                return NULL;
        if (b->manager) {
                b->manager->hooks = (ManagerHooks) {};
        }
        while (b->pending)
                pending_free(b->pending);
        if (b->bus) {
                (void) sd_bus_flush(b->bus);
                sd_bus_flush_close_unref(b->bus);
        }
        free(b);
        return NULL;
}
