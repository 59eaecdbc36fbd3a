/*
 * config.h — vasgw.conf, the INI file of vasgw.conf(5).
 *
 * The keys are a table (config_keys.def: section, key, type, bounds,
 * default, target field), written once and used both to parse and to
 * reject what is not in it.  A wrong or missing key fails with
 * "FILE:LINE: reason".
 */
#ifndef VG_CONFIG_H
#define VG_CONFIG_H

#include <stddef.h>

typedef enum { VG_BIND_TRX = 0, VG_BIND_TX_RX = 1 } vg_bind_mode_t;

typedef struct {
  /* [gateway] */
  char node[64];
  char timezone[64];
  char locale[16];
  char templates[512];
  char log_level[16];   /* error|warn|info|debug */
  char country_code[8]; /* default 86 */
  char log_file[512];   /* "" = stderr */
  int msg_ttl_days;     /* message records lapse after this (default 7) */
  int claim_idle;       /* s before a dead node's stream entries are claimed */
  int max_parts;        /* the longest MT, in SMS parts (default 10) */

  /* [redis] */
  char redis_host[256];
  int redis_port;
  int redis_db;
  char redis_password[256];
  char prefix[64];

  /* [smsc] */
  char smsc_host[256];
  int smsc_port;
  char system_id[16];  /* SMPP 3.4: at most 15 octets */
  char smsc_password[9]; /* SMPP 3.4: at most 8 octets */
  char system_type[13];
  vg_bind_mode_t bind;
  char service_number[21];
  char ussd_service_code[32];
  int ussd_profile; /* index in gateway/ussd_profiles.def */
  int ussd_session_timeout;
  int ussd_wait_screen_ms;
  int window;
  int tps;
  int enquire_link_interval;
  int response_timeout;
  int reconnect_max;
  int mo_reassembly_wait; /* seconds a concatenated MO waits for its parts */

  /* [provisioning] */
  char provisioning_url[512];
  int provisioning_timeout_ms;
  int provisioning_max_attempts;

  /* [policy] */
  int offer_ttl_hours;
  int marketing_interval_days;
  int cancel_block_days;
  int complaint_block_days;
  int max_marketing_per_day;
  char quiet_hours[16];
  int mo_rate_limit_per_min;

  /* [promoters] */
  int auto_approve;
  char number_segments[1024];
  int daily_recommend_limit;

  /* [commission] */
  int settlement_day;

  /* [campaigns] */
  int campaign_approval; /* require_approval */
  int campaign_tps;      /* tps: a campaign's rate unless --tps */
  int campaign_keep_days; /* keep_days: its recipients' fates after the end */

  /* [http] */
  char http_listen[128]; /* "" : no HTTP server */
  char http_tls_cert[512];
  char http_tls_key[512];
  char http_dashboard[512]; /* the dashboard's files */
  int http_body_max_kb;
  int http_upload_max_mb;
  int http_timeout_s;
  int http_max_connections;
  int http_max_per_ip;
  int http_workers;
  int http_idempotency_hours;
} vg_config_t;

/* Fill `cfg` with every default. */
void vg_config_defaults(vg_config_t *cfg);

/*
 * Load `path` over the defaults, then apply VASGW_SMSC_PASSWORD and
 * VASGW_REDIS_PASSWORD from the environment when set.  Returns 0, or
 * VG_ECONFIG with "PATH:LINE: reason" (or "PATH: reason") in `err`.
 * Unknown sections and keys, bad numbers, values out of bounds, strings too
 * long for their field, duplicate keys and an unreadable file are errors.
 */
int vg_config_load(const char *path, vg_config_t *cfg, char *err,
                   size_t errsz);

/* Same as vg_config_load over a string (for tests); `name` names it in errors. */
int vg_config_load_string(const char *text, const char *name, vg_config_t *cfg,
                          char *err, size_t errsz);

/* The default path: $VASGW_CONF, else SYSCONFDIR/vasgw/vasgw.conf. */
const char *vg_config_default_path(void);

#endif
