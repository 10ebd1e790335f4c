/* SPDX-License-Identifier: MIT */
/*
 * params - the one table of tlspolicyd.conf parameters
 *
 *	Every parameter has exactly one row here: name, default, check.
 *	Its manual entry is in tlspolicyd.conf(5); t/unit/check_params
 *	fails when a parameter is missing from the manual.  Programs load
 *	the file with params_load(), which starts from these defaults.
 */
#ifndef TLSPOL_PARAMS_H
#define TLSPOL_PARAMS_H

#include <stddef.h>

#include "conf.h"

#ifndef DEF_CONFIG_FILE
#define DEF_CONFIG_FILE SYSCONFDIR "/tlspolicyd/tlspolicyd.conf"
#endif

extern const struct cfg_def tlspol_params[];
extern const size_t tlspol_nparams;

struct config *params_new(void);
struct config *params_load(const char *path, int must_exist, char *err,
    size_t errlen);

#endif
