/* SPDX-License-Identifier: MIT */
#pragma once

#include <getdns/getdns.h>

#include "dnsreply.h"

/* Reduce a getdns response to a DnsReply for the question (qname, qtype,
 * qclass). TXT answers land in names, one string per character-string.
 * The CNAME chain from qname is followed inside the answer section and only
 * records owned by its end count. Never fails for malformed input: what
 * cannot be read is classified, not trusted. Returns -ENOMEM only. */
int dns_reply_from_getdns(getdns_callback_type_t type, const getdns_dict *response,
                          const char *qname, uint16_t qtype, uint16_t qclass, DnsReply *ret);
