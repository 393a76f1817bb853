/* SPDX-License-Identifier: MIT */
/* DNS replies in wire format, through getdns' own wire-to-dict conversion and
 * then the same classification and verdict code the daemon uses. The
 * question section names the question, so the fuzzer steers CNAME chains.
 *
 * libgetdns 1.6.0's getdns_wire2msg_dict() reads past the end of some
 * malformed messages, by as much as a length field in the message claims
 * (found by this target; tests/fuzz/upstream-getdns/, tests/ROBUSTNESS.md).
 * To go on fuzzing our own code, the message is handed over inside a buffer
 * with WIRE_SLACK zero bytes after it: no DNS length field can reach past
 * that. FUZZ_NO_SLACK=1 hands it over exactly, to show getdns' over-read. */
#define WIRE_SLACK (64 * 1024 + 16)
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include <stdlib.h>
#include <string.h>

#include "dns-getdns.h"
#include "fuzz.h"
#include "hostname.h"
#include "macro.h"
#include "strv.h"
#include "evaluate.h"

static void classify(const getdns_dict *response, const char *qname, uint16_t qtype) {
        static const VerdictPolicy policy = { .min_ttl = 30 * USEC_PER_SEC, .max_ttl = USEC_PER_DAY };
        DnsReply r;
        Address a;

        if (dns_reply_from_getdns(GETDNS_CALLBACK_COMPLETE, response, qname, qtype, GETDNS_RRCLASS_IN, &r) < 0)
                return;
        (void) address_parse(qtype == GETDNS_RRTYPE_AAAA ? "2001:db8::25" : "192.0.2.10", &a, NULL);
        if (qtype == GETDNS_RRTYPE_PTR || qtype == GETDNS_RRTYPE_A || qtype == GETDNS_RRTYPE_MX) {
                /* the same reply stands in for every forward and HELO lookup */
                const HeloAnswers helo = { .name = "mail.example.test", .reply = { &r, &r, &r } };
                size_t n = strv_length(r.names);
                const DnsReply **fwd = calloc(n + 1, sizeof(DnsReply *));
                Verdict *v = NULL;
                for (size_t i = 0; fwd && i < n; i++)
                        fwd[i] = &r;
                if (fwd && verdict_evaluate(&a, &r, (const DnsReply * const *) fwd, &helo, 1, &policy, 1, &v) >= 0)
                        verdict_free(v);
                free(fwd);
        }
        dns_reply_done(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint16_t types[] = { GETDNS_RRTYPE_PTR, GETDNS_RRTYPE_A, GETDNS_RRTYPE_AAAA, GETDNS_RRTYPE_TXT,
                                          GETDNS_RRTYPE_MX };
        getdns_dict *msg = NULL, *response = NULL;
        getdns_list *replies = NULL;
        getdns_bindata *qname_wire = NULL;
        char *qname = NULL;

        static int slack = -1;
        if (slack < 0)
                slack = getenv("FUZZ_NO_SLACK") ? 0 : WIRE_SLACK;
        uint8_t *wire = calloc(size + (size_t) slack + 1, 1);
        if (!wire)
                return 0;
        memcpy(wire, data, size);
        getdns_return_t ret = getdns_wire2msg_dict(wire, size, &msg);
        free(wire);
        if (ret != GETDNS_RETURN_GOOD)
                return 0;
        if (getdns_dict_get_bindata(msg, "/question/qname", &qname_wire) == GETDNS_RETURN_GOOD &&
            getdns_convert_dns_name_to_fqdn(qname_wire, &qname) == GETDNS_RETURN_GOOD) {
                char *normal = hostname_normalize(qname);
                response = getdns_dict_create();
                replies = getdns_list_create();
                if (normal && response && replies &&
                    getdns_list_set_dict(replies, 0, msg) == GETDNS_RETURN_GOOD &&
                    getdns_dict_set_list(response, "replies_tree", replies) == GETDNS_RETURN_GOOD)
                        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                                classify(response, normal, types[i]);
                free(normal);
                free(qname);
        }
        getdns_list_destroy(replies);
        getdns_dict_destroy(response);
        getdns_dict_destroy(msg);
        return 0;
}
