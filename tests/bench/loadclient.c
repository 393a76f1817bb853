/* SPDX-License-Identifier: MIT */
/* loadclient KIND CALLS [ADDRESS|PREFIX]: CALLS sequential D-Bus calls to
 * ptrwatchd on the system bus (DBUS_SYSTEM_BUS_ADDRESS), one connection.
 * KIND (several, comma-separated, run in turn on one connection): getverdicts, check (a cached Check of ADDRESS), property (Get
 * Summary), mixed (the three in turn), adhoc (Check of PREFIX0, PREFIX1, …:
 * a new address each time), getid (org.freedesktop.DBus.GetId: the bus's own
 * floor, one hop), ping (org.freedesktop.DBus.Peer.Ping answered by sd-bus in
 * ptrwatchd itself: the floor of any call to a service, two hops). Prints one JSON line: calls, ok, errors by name, latency
 * percentiles in microseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#define NAME "org.ptrwatch.PtrWatch1"
#define PATH "/org/ptrwatch/PtrWatch1"
#define IFACE "org.ptrwatch.PtrWatch1.Manager"
#define MAX_ERROR_NAMES 8

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static int compare(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static int call(sd_bus *bus, const char *kind, long i, const char *arg, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        char address[128];
        int r;

        if (strcmp(kind, "mixed") == 0)
                kind = (const char *[]) { "getverdicts", "check", "property" }[i % 3];
        if (strcmp(kind, "getverdicts") == 0)
                r = sd_bus_call_method(bus, NAME, PATH, IFACE, "GetVerdicts", error, &reply, NULL);
        else if (strcmp(kind, "check") == 0)
                r = sd_bus_call_method(bus, NAME, PATH, IFACE, "Check", error, &reply, "st", arg, (uint64_t) 0);
        else if (strcmp(kind, "property") == 0)
                r = sd_bus_call_method(bus, NAME, PATH, "org.freedesktop.DBus.Properties", "Get", error, &reply,
                                       "ss", IFACE, "Summary");
        else if (strcmp(kind, "adhoc") == 0) {
                snprintf(address, sizeof address, "%s%lx", arg, i);
                r = sd_bus_call_method(bus, NAME, PATH, IFACE, "Check", error, &reply, "st", address, (uint64_t) 0);
        } else if (strcmp(kind, "ping") == 0)
                r = sd_bus_call_method(bus, NAME, PATH, "org.freedesktop.DBus.Peer", "Ping", error, &reply, NULL);
        else if (strcmp(kind, "getid") == 0)
                r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetId", error, &reply, NULL);
        else {
                fprintf(stderr, "unknown kind %s\n", kind);
                exit(64);
        }
        sd_bus_message_unref(reply);
        return r;
}

static void run(sd_bus *bus, const char *kind, long n, const char *arg) {
        const char *names[MAX_ERROR_NAMES] = {};
        long counts[MAX_ERROR_NAMES] = {}, ok = 0;
        uint64_t *lat = calloc((size_t) n + 1, sizeof(uint64_t)), start, total;

        if (!lat)
                exit(70);
        start = now_ns();
        for (long i = 0; i < n; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                uint64_t t = now_ns();
                int r = call(bus, kind, i, arg, &error);

                lat[i] = now_ns() - t;
                if (r >= 0)
                        ok++;
                else {
                        const char *e = error.name ? error.name : "local";
                        int k;
                        for (k = 0; k < MAX_ERROR_NAMES && names[k] && strcmp(names[k], e) != 0; k++)
                                ;
                        if (k < MAX_ERROR_NAMES) {
                                if (!names[k])
                                        names[k] = strdup(e);
                                counts[k]++;
                        }
                }
                sd_bus_error_free(&error);
        }
        total = now_ns() - start;
        qsort(lat, (size_t) n, sizeof(uint64_t), compare);
        printf("{\"kind\": \"%s\", \"calls\": %ld, \"ok\": %ld, \"seconds\": %.3f, \"p50_us\": %.1f, "
               "\"p90_us\": %.1f, \"p99_us\": %.1f, \"errors\": {", kind, n, ok, (double) total / 1e9,
               n ? (double) lat[n / 2] / 1e3 : 0.0, n ? (double) lat[n * 9 / 10] / 1e3 : 0.0,
               n ? (double) lat[n * 99 / 100] / 1e3 : 0.0);
        for (int k = 0; k < MAX_ERROR_NAMES && names[k]; k++) {
                printf("%s\"%s\": %ld", k ? ", " : "", names[k], counts[k]);
                free((char *) names[k]);
        }
        printf("}}\n");
        fflush(stdout);
        free(lat);
}

int main(int argc, char *argv[]) {
        char *kinds, *kind, *save = NULL;
        sd_bus *bus = NULL;
        int r;

        if (argc < 3) {
                fprintf(stderr, "Usage: loadclient KIND[,KIND...] CALLS [ADDRESS|PREFIX]\n");
                return 64;
        }
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect: %s\n", strerror(-r));
                return 3;
        }
        (void) sd_bus_set_method_call_timeout(bus, 120ULL * 1000000ULL);
        /* several kinds run one after another on this one connection */
        kinds = strdup(argv[1]);
        for (kind = strtok_r(kinds, ",", &save); kind; kind = strtok_r(NULL, ",", &save))
                run(bus, kind, atol(argv[2]), argc > 3 ? argv[3] : "192.0.2.10");
        free(kinds);
        sd_bus_flush_close_unref(bus);
        return 0;
}
