/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the admin's text files other than the tables.  The first byte
 * chooses what the rest is: the configuration file (config_parse_text()
 * with the daemon's parameter table), resolv.conf, or the DNSSEC trust
 * anchor file.  Invariants: a parsed configuration prints (only what is
 * set) to text that parses to the same values; typed getters accept
 * every value their check accepted.
 */
#include "config.h"

#include <ctype.h>

#include "conf.h"
#include "dns.h"
#include "dnssec.h"
#include "fuzz.h"
#include "params.h"

static void
check_getters(const struct config *c)
{
	for (size_t i = 0; i < tlspol_nparams; i++) {
		const struct cfg_def *d = &tlspol_params[i];

		FUZZ_CHECK(config_get(c, d->name) != NULL);
		if (d->check == cf_check_time)
			FUZZ_CHECK(config_time(c, d->name) >= 0);
		else if (d->check == cf_check_count)
			FUZZ_CHECK(config_long(c, d->name) >= 0);
		else if (d->check == cf_check_bool)
			(void)config_bool(c, d->name);
	}
}

static void
fuzz_config(const char *text, size_t len)
{
	struct config *c = params_new(), *c2;
	char err[300], *out = NULL;
	size_t olen = 0;
	FILE *fp;

	if (config_parse_text(c, text, len, "fuzz", err, sizeof(err)) < 0) {
		FUZZ_CHECK(strncmp(err, "fuzz:", 5) == 0);
		config_free(c);
		return;
	}
	check_getters(c);
	fp = open_memstream(&out, &olen);
	FUZZ_CHECK(fp != NULL);
	config_print(fp, c, 1);
	FUZZ_CHECK(fclose(fp) == 0);
	c2 = params_new();
	FUZZ_CHECK(config_parse_text(c2, out, olen, "printed", err,
	    sizeof(err)) == 0);
	/* The same values, but for a password printed as "****". */
	for (size_t i = 0; i < tlspol_nparams; i++) {
		const char *n = tlspol_params[i].name, *v = config_get(c, n);
		size_t vlen = strlen(v) + 4;
		char *shown = malloc(vlen);

		FUZZ_CHECK(shown != NULL);
		FUZZ_CHECK(strcmp(config_shown(v, shown, vlen),
		    config_get(c2, n)) == 0);
		free(shown);
	}
	config_free(c2);
	config_free(c);
	free(out);
}

/*
 * Whether an anchor file text names a CERT record (type 37): ldns 1.8.3
 * leaks in ldns_str2rdf_cert_alg() on some of them, a bug of ldns (no
 * anchor is a CERT record, and the file is read once).  Skipped so the
 * harness finds leaks of ours.
 */
static int
ldns_cert_text(const char *text, size_t len)
{
	char *s = fuzz_str((const uint8_t *)text, len);
	int cert;

	for (size_t i = 0; i < len; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	cert = memmem(s, len, "cert", 4) != NULL
	    || memmem(s, len, "type37", 6) != NULL;
	free(s);
	return cert;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_server sv[DNS_MAX_SERVERS];
	struct dnssec_anchors *a;
	const char *text = (const char *)data + 1;
	char err[300];

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_config(text, size - 1);
		break;
	case 1:
		FUZZ_CHECK(dns_parse_resolv_conf(text, size - 1, sv,
		    DNS_MAX_SERVERS) <= DNS_MAX_SERVERS);
		break;
	default:
		if (ldns_cert_text(text, size - 1))
			break;
		a = dnssec_anchors_parse(text, size - 1, err, sizeof(err));
		FUZZ_CHECK(a == NULL || dnssec_anchors_count(a) > 0);
		dnssec_anchors_free(a);
		break;
	}
	return 0;
}
