/* WIP (HTTP helper): complete definitions of struct xbl_mpsd_client and
   struct xbl_mpsd_async. Placeholder until the HTTP section lands. */
struct xbl_mpsd_client { xbl_mpsd_client_config config; int placeholder; };
struct xbl_mpsd_async  { unsigned char *buffer; size_t buffer_size; int placeholder; };
