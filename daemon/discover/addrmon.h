/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

/* Watch rtnetlink for address and route changes; calls back (debounced)
 * when the host's addresses may have changed. */
typedef struct AddressMonitor AddressMonitor;
typedef void (*address_monitor_callback_t)(void *userdata);
int address_monitor_new(sd_event *e, address_monitor_callback_t cb, void *userdata, AddressMonitor **ret);
AddressMonitor *address_monitor_free(AddressMonitor *m);
