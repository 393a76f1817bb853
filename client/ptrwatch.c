/* SPDX-License-Identifier: MIT */
/* ptrwatch: the thin client of ptrwatchd. D-Bus only, no DNS of its own. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "address.h"
#include "json.h"
#include "metrics.h"
#include "log.h"
#include "macro.h"
#include "output.h"
#include "protocol.h"
#include "strv.h"
#include "verdict.h"
#include "verdict-wire.h"
#include "bus-calls.h"
#include "explain.h"

static bool arg_json;
static bool arg_nagios;
static bool arg_force;
static bool arg_user;
static bool arg_legend = true;
static bool arg_problems;
static usec_t arg_timeout = 60 * USEC_PER_SEC;

/* ---- output ---- */

static const char *nagios_state(VerdictKind worst) {
        switch (verdict_kind_exit_status(worst)) {
        case 0:  return "OK";
        case 1:  return "WARNING";
        case 2:  return "CRITICAL";
        default: return "UNKNOWN";
        }
}

/* PTRWATCH STATE - summary naming the bad addresses | pass=N warn=N fail=N temperror=N */
static void print_nagios(const Verdicts *l, VerdictKind worst) {
        size_t count[_VERDICT_KIND_MAX] = {};
        _cleanup_free_ char *summary = verdicts_summary(l->v, l->n);
        char *bad = NULL;

        for (size_t i = 0; i < l->n; i++) {
                char addr[ADDRESS_STRING_MAX];
                count[l->v[i]->kind]++;
                if (l->v[i]->kind == VERDICT_PASS)
                        continue;
                (void) strextendf(&bad, "%s%s %s", bad ? ", " : "; ", address_to_string(&l->v[i]->address, addr),
                                  verdict_kind_to_string(l->v[i]->kind));
                bool first = true;
                for (Reason r = 0; r < _REASON_MAX; r++)
                        if (l->v[i]->reasons & REASON_BIT(r)) {
                                (void) strextendf(&bad, "%s%s", first ? " (" : " ", reason_to_string(r));
                                first = false;
                        }
                if (!first)
                        (void) strextendf(&bad, ")");
        }
        /* unknown (not checked yet) is counted with temperror: neither is an answer */
        printf("PTRWATCH %s - %s%s | pass=%zu warn=%zu fail=%zu temperror=%zu\n",
               nagios_state(worst), l->n == 0 ? "no watched addresses" : summary ? summary : "",
               bad ? bad : "", count[VERDICT_PASS], count[VERDICT_WARN], count[VERDICT_FAIL],
               count[VERDICT_TEMPERROR] + count[VERDICT_UNKNOWN]);
        free(bad);
}

static void print_time(const char *label, usec_t t, bool future) {
        char buf[RFC3339_MAX];
        usec_t n = now(CLOCK_REALTIME);

        if (t == 0) {
                printf("%s: never\n", label);
                return;
        }
        usec_t d = future ? (t > n ? t - n : 0) : (n > t ? n - t : 0);
        printf("%s: %s (%s%" PRIu64 " s%s)\n", label, format_rfc3339(buf, t), future ? "in " : "",
               d / USEC_PER_SEC, future ? "" : " ago");
}

/* What status knows besides the verdicts. */
typedef struct StatusInfo {
        usec_t last, next;
        bool problems_only;             /* l holds only what is not pass */
        VerdictKind summary;            /* then: the daemon's Summary of all */
        char **notes;                   /* discovery's, for the administrator */
} StatusInfo;

static int print_verdicts(const Verdicts *l, const StatusInfo *status) {
        VerdictKind worst = status && status->problems_only ? status->summary :
                            l->n > 0 ? verdicts_worst(l->v, l->n) : VERDICT_UNKNOWN;
        usec_t last = status ? status->last : 0, next = status ? status->next : 0;

        if (arg_nagios)
                print_nagios(l, worst);
        else if (arg_json && status) {
                JsonWriter w;
                char t[RFC3339_MAX];

                json_init(&w, stdout, true);
                json_begin_object(&w);
                json_key(&w, "summary");
                json_string(&w, verdict_kind_to_string(worst));
                json_key(&w, "last_refresh");
                last ? json_string(&w, format_rfc3339(t, last)) : json_null(&w);
                json_key(&w, "next_refresh");
                next ? json_string(&w, format_rfc3339(t, next)) : json_null(&w);
                json_key(&w, "notes");
                json_begin_array(&w);
                for (char **n = status->notes; n && *n; n++)
                        json_string(&w, *n);
                json_end_array(&w);
                json_key(&w, "verdicts");
                json_begin_array(&w);
                for (size_t i = 0; i < l->n; i++)
                        verdict_write_json(&w, l->v[i]);
                json_end_array(&w);
                json_end_object(&w);
                json_finish(&w);
        } else if (arg_json)
                verdicts_print_json_array(stdout, l->v, l->n, true);
        else if (l->n == 0 && status && status->problems_only && worst == VERDICT_PASS) {
                if (arg_legend)
                        printf("No problems: every watched address passes.\n");
        } else if (l->n == 0)
                fprintf(stderr, "No watched addresses: set [Watch] Addresses= in /etc/ptrwatch/ptrwatchd.conf, "
                        "or check Discover=.\n");
        else {
                verdicts_print_table(stdout, l->v, l->n, &(TableOptions) {
                        .legend = arg_legend,
                        .colour = colour_wanted(stdout),
                });
                if (status && arg_legend) {
                        printf("\n");
                        print_time("Last refresh", last, false);
                        print_time("Next refresh", next, true);
                }
        }
        /* Said once, after what was asked for: a relay, NAT, an MTA setting. */
        for (char **n = status && !arg_json && !arg_nagios ? status->notes : NULL; n && *n; n++)
                printf("Note: %s\n", *n);
        return verdict_kind_exit_status(worst);
}

/* ---- verbs ---- */

static int verb_status(int argc, char *argv[], sd_bus *bus) {
        Verdicts l = {};
        int r;

        StatusInfo info = { .problems_only = arg_problems && !arg_nagios };

        /* --problems asks the daemon for only those: little to send however
         * many addresses are watched. --nagios counts them all. */
        r = get_verdicts(bus, info.problems_only, &l);
        if (r >= 0)
                r = get_time_property(bus, "LastRefresh", &info.last);
        if (r >= 0)
                r = get_time_property(bus, "NextRefresh", &info.next);
        if (r >= 0 && info.problems_only)
                r = get_summary(bus, &info.summary);
        if (r >= 0)
                r = get_notes(bus, &info.notes);
        if (r >= 0)
                r = print_verdicts(&l, &info);
        verdicts_done(&l);
        strv_free(info.notes);
        return r < 0 ? -r : r;
}

static int verb_check(int argc, char *argv[], sd_bus *bus) {
        Verdicts l = {};
        int r = 0;

        for (int i = 1; i < argc && r >= 0; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                Verdict *v = NULL;

                r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Check", &error, &reply, "st",
                                       argv[i], (uint64_t) (arg_force ? BUS_CHECK_FORCE : 0));
                if (r < 0) {
                        r = call_failed("Check", &error, r);
                        break;
                }
                r = verdict_read_bus(reply, &v);
                if (r <= 0) {
                        log_error("Malformed reply from ptrwatchd: %s", strerror(r < 0 ? -r : EBADMSG));
                        r = -EXIT_UNKNOWN;
                        break;
                }
                r = append_verdict(&l, v);
        }
        if (r >= 0)
                r = print_verdicts(&l, NULL);
        verdicts_done(&l);
        return r < 0 ? -r : r;
}

static int verb_refresh(int argc, char *argv[], sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Refresh", &error, NULL, NULL);
        if (r < 0)
                return -call_failed("Refresh", &error, r);
        return verb_status(argc, argv, bus);
}

/* The watched verdicts in the Prometheus text format, as the daemon writes
 * them to [Export] PrometheusTextfile=. */
static int verb_metrics(int argc, char *argv[], sd_bus *bus) {
        MetricsInput in = { .version = PTRWATCH_VERSION };
        Verdicts l = {};
        int r;

        r = get_verdicts(bus, false, &l);
        if (r >= 0)
                r = get_checks_total(bus, in.checks_total);
        if (r >= 0) {
                in.verdicts = l.v;
                in.n_verdicts = l.n;
                metrics_write(stdout, &in);
        }
        verdicts_done(&l);
        return r < 0 ? -r : 0;
}

static int on_verdict_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **reasons = NULL;
        const char *address, *old, *new;
        char t[RFC3339_MAX];
        usec_t n = now(CLOCK_REALTIME);

        if (sd_bus_message_read(m, "sss", &address, &old, &new) < 0 ||
            sd_bus_message_read_strv(m, &reasons) < 0) {
                log_warning("Malformed VerdictChanged signal, ignoring");
                return 0;
        }
        if (arg_json) {
                JsonWriter w;
                json_init(&w, stdout, false);
                json_begin_object(&w);
                json_key(&w, "time");
                json_string(&w, format_rfc3339(t, n));
                json_key(&w, "address");
                json_string(&w, address);
                json_key(&w, "old");
                json_string(&w, old);
                json_key(&w, "new");
                json_string(&w, new);
                json_key(&w, "reasons");
                json_begin_array(&w);
                for (char **i = reasons; i && *i; i++)
                        json_string(&w, *i);
                json_end_array(&w);
                json_end_object(&w);
                json_finish(&w);
        } else {
                _cleanup_free_ char *r = strv_join(reasons, " ");
                printf("%s %s %s -> %s%s%s%s\n", format_rfc3339(t, n), address, old, new,
                       !isempty(r) ? " (" : "", r ? r : "", !isempty(r) ? ")" : "");
        }
        fflush(stdout);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name, *old, *new;

        if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && streq(name, BUS_NAME) && isempty(new)) {
                log_error("ptrwatchd went away");
                (void) sd_event_exit(userdata, EXIT_UNKNOWN);
        }
        return 0;
}

static int verb_monitor(int argc, char *argv[], sd_bus *bus) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sigset_t mask;
        int r;

        /* Fail early, with the usual message, when the daemon is not there. */
        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Peer", "Ping", &error, NULL, NULL);
        if (r < 0)
                return -call_failed("monitor", &error, r);

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || sd_event_default(&event) < 0)
                return EXIT_UNKNOWN;
        if (sd_event_add_signal(event, NULL, SIGINT, NULL, NULL) < 0 ||
            sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL) < 0 ||
            sd_bus_match_signal(bus, NULL, BUS_NAME, BUS_PATH, BUS_INTERFACE, "VerdictChanged",
                                on_verdict_changed, NULL) < 0 ||
            sd_bus_add_match(bus, NULL,
                             "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                             "member='NameOwnerChanged',arg0='" BUS_NAME "'",
                             on_name_owner_changed, event) < 0 ||
            sd_bus_attach_event(bus, event, 0) < 0) {
                log_error("Failed to subscribe to verdict changes");
                return EXIT_UNKNOWN;
        }
        if (!arg_json && arg_legend)
                fprintf(stderr, "Watching verdict changes; interrupt to stop.\n");
        r = sd_event_loop(event);
        return r < 0 ? EXIT_UNKNOWN : r;
}

static int verb_explain(int argc, char *argv[], sd_bus *bus) {
        int r = explain_run(bus, argv[1], arg_json);
        return r < 0 ? -r : r;
}

typedef struct Verb {
        const char *name;
        int min_args, max_args;         /* including the verb */
        int (*run)(int argc, char *argv[], sd_bus *bus);
} Verb;

static const Verb verbs[] = {
        { "status",  1, 1,       verb_status },
        { "check",   2, INT_MAX, verb_check },
        { "refresh", 1, 1,       verb_refresh },
        { "monitor", 1, 1,       verb_monitor },
        { "metrics", 1, 1,       verb_metrics },
        { "explain", 2, 2,       verb_explain },
};

static void help(void) {
        printf("Usage: ptrwatch [OPTIONS] [COMMAND]\n"
               "\n"
               "Show the reverse DNS verdicts of ptrwatchd.\n"
               "\n"
               "Commands:\n"
               "  status              every watched address (the default)\n"
               "  check ADDRESS...    verdicts for these addresses (cached while fresh)\n"
               "  refresh             discover and re-check everything now, then show status\n"
               "  monitor             print verdict changes as they happen\n"
               "  metrics             the watched verdicts in the Prometheus text format\n"
               "  explain ADDRESS     every lookup behind the verdict, what each receiver will do,\n"
               "                      who holds the reverse zone and what to ask them for\n"
               "\n"
               "Options:\n"
               "  --json              JSON output\n"
               "  --nagios            one monitoring-plugin line\n"
               "  --force             with check: bypass the cache (root, ptrwatchd)\n"
               "  --user              talk to ptrwatchd on the session bus\n"
               "  --timeout SECONDS   how long to wait for ptrwatchd (default 60)\n"
               "  --no-legend         no summary, header or footer\n"
               "  --problems          with status: only the addresses that are not pass\n"
               "  --help, --version\n"
               "\n"
               "Exit status: 0 pass, 1 warn, 2 fail, 3 temperror, unknown or no answer, 64 usage.\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_JSON = 0x100, ARG_NAGIOS, ARG_FORCE, ARG_USER, ARG_TIMEOUT, ARG_NO_LEGEND, ARG_PROBLEMS, ARG_VERSION };
        static const struct option options[] = {
                { "json",      no_argument,       NULL, ARG_JSON },
                { "nagios",    no_argument,       NULL, ARG_NAGIOS },
                { "force",     no_argument,       NULL, ARG_FORCE },
                { "user",      no_argument,       NULL, ARG_USER },
                { "timeout",   required_argument, NULL, ARG_TIMEOUT },
                { "no-legend", no_argument,       NULL, ARG_NO_LEGEND },
                { "problems",  no_argument,       NULL, ARG_PROBLEMS },
                { "version",   no_argument,       NULL, ARG_VERSION },
                { "help",      no_argument,       NULL, 'h' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_JSON:      arg_json = true; break;
                case ARG_NAGIOS:    arg_nagios = true; break;
                case ARG_FORCE:     arg_force = true; break;
                case ARG_USER:      arg_user = true; break;
                case ARG_NO_LEGEND: arg_legend = false; break;
                case ARG_PROBLEMS: arg_problems = true; break;
                case ARG_TIMEOUT: {
                        usec_t t;
                        if (timespan_parse(optarg, &t) < 0 || t == 0) {
                                log_error("--timeout: '%s' is not a positive number of seconds", optarg);
                                return -EINVAL;
                        }
                        arg_timeout = t;
                        break;
                }
                case ARG_VERSION:
                        printf("ptrwatch %s\n", PTRWATCH_VERSION);
                        return 0;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }
        if (arg_json && arg_nagios) {
                log_error("--json and --nagios exclude each other");
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        static char *default_verb[] = { (char *) "status", NULL };
        const Verb *verb = NULL;
        char **args;
        int n, r;

        log_set_program("ptrwatch");
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

        args = optind < argc ? argv + optind : default_verb;
        n = optind < argc ? argc - optind : 1;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, args[0]))
                        verb = &verbs[i];
        if (!verb) {
                log_error("Unknown command '%s' (try --help)", args[0]);
                return EXIT_USAGE;
        }
        if (n < verb->min_args || n > verb->max_args) {
                log_error(n < verb->min_args ? "'%s' needs at least one ADDRESS" :
                          verb->max_args == 2 ? "'%s' takes one ADDRESS" : "'%s' takes no arguments", verb->name);
                return EXIT_USAGE;
        }
        if (arg_force && verb->run != verb_check) {
                log_error("--force only goes with check");
                return EXIT_USAGE;
        }
        /* Refuse malformed addresses before any bus call. */
        for (int i = 1; (verb->run == verb_check || verb->run == verb_explain) && i < n; i++) {
                const char *why;
                if (address_parse(args[i], NULL, &why) < 0) {
                        log_error("Invalid address '%s': %s", args[i], why);
                        return EXIT_USAGE;
                }
        }

        bus_calls_configure(arg_user, arg_timeout);
        r = bus_connect(&bus);
        if (r < 0)
                return -r;
        return verb->run(n, args, bus);
}
