/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "verdict.h"

/* Advice that takes more than one verdict to give. Today one: Postfix sends
 * over IPv6 from an address whose reverse DNS fails while the same
 * service's IPv4 address passes. postconf(5): smtp_address_preference picks
 * the family tried first when a destination has both (inet_protocols
 * enabling both); inet_protocols = ipv4 stops IPv6 altogether. */
#define ADVICE_POSTFIX_IPV6 "; Postfix also sends over IPv6 (inet_protocols), where this address fails while " \
        "its IPv4 address passes: prefer IPv4 with 'postconf -e smtp_address_preference=ipv4', or send over " \
        "IPv4 only with 'postconf -e inet_protocols=ipv4' (then 'postfix reload'), until the IPv6 PTR is fixed"

/* Whether v6 (an IPv6 fail) and v4 (an IPv4 pass or warn) are sent from by
 * one Postfix service (a source "postfix:SERVICE" of both, not the relay). */
bool advice_postfix_ipv6(const Verdict *v6, char * const *v6_sources, const Verdict *v4, char * const *v4_sources);
