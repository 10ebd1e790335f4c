#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "params.h"

#define QDIR DEF_POSTFIX_QUEUE_DIR

const struct cfg_def tlspol_params[] = {
	/* Socketmap service for smtp_tls_policy_maps. */
	{ "socketmap_listen", "unix:" QDIR "/tlspolicyd/socketmap", cf_check_listen },
	{ "socketmap_mode", "0660", cf_check_mode },
	{ "socketmap_group", "postfix", cf_check_name },
	{ "postfix_queue_directory", QDIR, cf_check_abspath_or_empty },
	/* check_policy_service for inbound TLS rules; empty: disabled. */
	{ "policy_listen", "", cf_check_listen_list },
	{ "policy_mode", "0660", cf_check_mode },
	{ "policy_group", "postfix", cf_check_name },
	{ "policy_idle_timeout", "300s", cf_check_time },
	{ "inbound_rules_file", "", cf_check_abspath_or_empty },
	/* Tables and state. */
	{ "overrides_file", SYSCONFDIR "/tlspolicyd/overrides", cf_check_abspath_or_empty },
	{ "state_directory", LOCALSTATEDIR "/lib/tlspolicyd", cf_check_abspath },
	/* Process. */
	{ "user", "tlspolicyd", cf_check_name },
	{ "log_level", "info", cf_check_log_level },
	{ "max_connections", "1000", cf_check_count },
	{ "idle_timeout", "300s", cf_check_time },
};

const size_t tlspol_nparams = sizeof(tlspol_params) / sizeof(tlspol_params[0]);

struct config *
params_new(void)
{
	return config_new(tlspol_params, tlspol_nparams);
}

struct config *
params_load(const char *path, int must_exist, char *err, size_t errlen)
{
	struct config *c = params_new();

	if (!must_exist && access(path, F_OK) < 0 && errno == ENOENT)
		return c;
	if (config_load(c, path, err, errlen) < 0) {
		config_free(c);
		return NULL;
	}
	return c;
}
