/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <signal.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "address.h"
#include "bus.h"
#include "config.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "oneshot.h"
#include "protocol.h"

#define STATE_DIR_DEFAULT "/var/lib/ptrwatch"

static const char *arg_config = CONFIG_FILE_DEFAULT;
static bool arg_config_explicit;
static const char *arg_state_dir;
static bool arg_user;
static bool arg_check;
static bool arg_json;
static bool arg_check_config;

static void help(void) {
        printf("Usage: ptrwatchd [OPTIONS]\n"
               "       ptrwatchd --check [ADDRESS...] [--json] [--config FILE]\n"
               "\n"
               "Watch the reverse DNS (PTR and forward confirmation) of this host's\n"
               "outbound addresses and publish the verdicts on D-Bus.\n"
               "\n"
               "  --config PATH     configuration file (default %s)\n"
               "  --state-dir DIR   where verdicts persist (default $STATE_DIRECTORY,\n"
               "                    else /var/lib/ptrwatch)\n"
               "  --user            use the session bus instead of the system bus\n"
               "  --check           check the ADDRESSes (none: what discovery finds) once,\n"
               "                    print, exit; no bus, no state\n"
               "  --json            with --check: print a JSON array\n"
               "  --check-config    parse the configuration and exit\n"
               "  --version         print the version\n"
               "  --help            print this help\n"
               "\n"
               "Exit status: 0 pass, 1 warn, 2 fail, 3 temperror or unknown, 64 usage.\n",
               CONFIG_FILE_DEFAULT);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_CONFIG = 0x100, ARG_STATE_DIR, ARG_USER, ARG_CHECK, ARG_JSON, ARG_CHECK_CONFIG, ARG_VERSION };
        static const struct option options[] = {
                { "config",       required_argument, NULL, ARG_CONFIG },
                { "state-dir",    required_argument, NULL, ARG_STATE_DIR },
                { "user",         no_argument,       NULL, ARG_USER },
                { "check",        no_argument,       NULL, ARG_CHECK },
                { "json",         no_argument,       NULL, ARG_JSON },
                { "check-config", no_argument,       NULL, ARG_CHECK_CONFIG },
                { "version",      no_argument,       NULL, ARG_VERSION },
                { "help",         no_argument,       NULL, 'h' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_CONFIG:
                        arg_config = optarg;
                        arg_config_explicit = true;
                        break;
                case ARG_STATE_DIR:
                        arg_state_dir = optarg;
                        break;
                case ARG_USER:
                        arg_user = true;
                        break;
                case ARG_CHECK:
                        arg_check = true;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_CHECK_CONFIG:
                        arg_check_config = true;
                        break;
                case ARG_VERSION:
                        printf("ptrwatchd %s\n", PTRWATCH_VERSION);
                        return 0;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;         /* getopt said what */
                }

        if (!arg_check && optind < argc) {
                log_error("Unexpected argument '%s' (addresses go with --check)", argv[optind]);
                return -EINVAL;
        }
        if (arg_json && !arg_check) {
                log_error("--json only goes with --check");
                return -EINVAL;
        }
        if (arg_check && arg_check_config) {
                log_error("--check and --check-config exclude each other");
                return -EINVAL;
        }
        return 1;
}

/* Every address is validated before any query: one bad one is a usage error. */
static int parse_addresses(char **args, size_t n, Address **ret) {
        Address *a = calloc(n, sizeof(Address));
        int r = 0;

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *why;
                if (address_parse(args[i], &a[i], &why) < 0) {
                        log_error("Invalid address '%s': %s", args[i], why);
                        r = -EINVAL;
                }
        }
        if (r < 0) {
                free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* --state-dir, else the first of $STATE_DIRECTORY (systemd's StateDirectory=), else the default. */
static char *state_dir(void) {
        const char *env = getenv("STATE_DIRECTORY");
        char *dir;

        if (arg_state_dir)
                dir = strdup(arg_state_dir);
        else if (!isempty(env))
                dir = strndup(env, strcspn(env, ":"));
        else
                dir = strdup(STATE_DIR_DEFAULT);
        if (!dir)
                return NULL;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                log_warning("Cannot create the state directory %s: %m; verdicts will not persist", dir);
                free(dir);
                return NULL;
        }
        return dir;
}

/* A signal source that lives as long as the event loop, with a name. */
static int add_signal(sd_event *e, int sig, sd_event_signal_handler_t cb, void *userdata, const char *name) {
        sd_event_source *s = NULL;
        int r;

        r = sd_event_add_signal(e, &s, sig, cb, userdata);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s, name);
        r = sd_event_source_set_floating(s, true);
        sd_event_source_unref(s);
        return r;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_info("Received %s, stopping", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) sd_notify(false, "RELOADING=1");
        (void) manager_reload(userdata);
        (void) sd_notify(false, "READY=1");
        return 0;
}

static int run_daemon(void) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(bus_freep) Bus *bus = NULL;
        _cleanup_free_ char *dir = NULL, *error = NULL;
        sigset_t mask;
        int r;

        /* Under systemd stderr goes to the journal: keep the priorities. */
        log_set_prefix(!isatty(STDERR_FILENO));

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error("Failed to block signals: %m"), EXIT_FAILURE;

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop"), EXIT_FAILURE;
        (void) sd_event_set_watchdog(event, true);

        dir = state_dir();
        r = manager_new(event, &(ManagerOptions) {
                        .config_path = arg_config,
                        .config_explicit = arg_config_explicit,
                        .state_dir = dir,
                }, &m, &error);
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                return EXIT_FAILURE;
        }
        r = bus_new(m, arg_user, &bus);
        if (r < 0)
                return EXIT_FAILURE;
        r = manager_start(m);
        if (r < 0)
                return log_error_errno(r, "Failed to start"), EXIT_FAILURE;

        if (add_signal(event, SIGTERM, on_exit_signal, m, "sigterm") < 0 ||
            add_signal(event, SIGINT, on_exit_signal, m, "sigint") < 0 ||
            add_signal(event, SIGHUP, on_reload_signal, m, "sighup") < 0)
                return log_error("Failed to watch signals"), EXIT_FAILURE;

        (void) sd_notifyf(false, "READY=1\nSTATUS=Watching %zu address%s", m->n_watched,
                          m->n_watched == 1 ? "" : "es");
        log_info("ptrwatchd %s running on the %s bus as %s", PTRWATCH_VERSION,
                 arg_user ? "session" : "system", BUS_NAME);

        r = sd_event_loop(event);
        (void) manager_save(m);
        if (r != 0) {
                /* The bus went away (exit-on-disconnect) or the loop failed:
                 * exit non-zero so that systemd restarts us. */
                log_error("Event loop ended with %d, exiting", r);
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        _cleanup_free_ Address *addresses = NULL;
        _cleanup_free_ char *error = NULL;
        Config config;
        int r, status;

        log_set_program("ptrwatchd");
        log_parse_environment();
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

        if (!arg_check && !arg_check_config)
                return run_daemon();

        if (arg_check) {
                r = parse_addresses(argv + optind, (size_t) (argc - optind), &addresses);
                if (r < 0)
                        return r == -ENOMEM ? EXIT_UNKNOWN : EXIT_USAGE;
        }

        r = config_init(&config);
        if (r < 0) {
                log_error("Out of memory");
                return EXIT_FAILURE;
        }
        r = config_load(&config, arg_config, arg_config_explicit, &error);
        if (r < 0) {
                fprintf(stderr, "%s\n", error ? error : strerror(-r));
                config_done(&config);
                /* --check could not run: that is UNKNOWN to a monitoring system. */
                return arg_check ? EXIT_UNKNOWN : EXIT_FAILURE;
        }

        if (arg_check_config) {
                printf("configuration OK\n");
                status = EXIT_SUCCESS;
        } else if (optind >= argc)
                status = oneshot_discover_check(&config, arg_json, stdout);
        else
                status = oneshot_check(&config, addresses, (size_t) (argc - optind), arg_json, stdout);
        config_done(&config);
        return status;
}
