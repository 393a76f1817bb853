/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "address.h"
#include "config.h"
#include "log.h"
#include "macro.h"
#include "oneshot.h"

static const char *arg_config = CONFIG_FILE_DEFAULT;
static bool arg_config_explicit;
static const char *arg_state_dir;
static bool arg_user;
static bool arg_check;
static bool arg_json;
static bool arg_check_config;

static void help(void) {
        printf("Usage: ptrwatchd [OPTIONS]\n"
               "       ptrwatchd --check ADDRESS... [--json] [--config FILE]\n"
               "\n"
               "Watch the reverse DNS (PTR and forward confirmation) of this host's\n"
               "outbound addresses and publish the verdicts on D-Bus.\n"
               "\n"
               "  --config PATH     configuration file (default %s)\n"
               "  --state-dir DIR   where verdicts persist (default $STATE_DIRECTORY,\n"
               "                    else /var/lib/ptrwatch)\n"
               "  --user            use the session bus instead of the system bus\n"
               "  --check           check the ADDRESSes once, print, exit; no bus, no state\n"
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

        if (arg_check && optind >= argc) {
                log_error("--check needs at least one ADDRESS");
                return -EINVAL;
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

int main(int argc, char *argv[]) {
        _cleanup_free_ Address *addresses = NULL;
        _cleanup_free_ char *error = NULL;
        Config config;
        int r, status;

        log_set_program("ptrwatchd");
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EX_USAGE : EXIT_SUCCESS;

        if (arg_check) {
                r = parse_addresses(argv + optind, (size_t) (argc - optind), &addresses);
                if (r < 0)
                        return r == -ENOMEM ? 3 : EX_USAGE;
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
                return arg_check ? 3 : EXIT_FAILURE;
        }

        if (arg_check_config) {
                printf("configuration OK\n");
                status = EXIT_SUCCESS;
        } else if (arg_check)
                status = oneshot_check(&config, addresses, (size_t) (argc - optind), arg_json, stdout);
        else {
                (void) arg_state_dir;
                (void) arg_user;
                log_error("The watching daemon is not built yet; use --check ADDRESS...");
                status = EXIT_FAILURE;
        }
        config_done(&config);
        return status;
}
