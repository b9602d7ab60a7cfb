/* Part 2, request writing: the PUT body of three XSAPI-corpus changes,
   built by xbl_mpsd (setters + serializer) and by cJSON (the same tree built
   from the same inputs, printed unformatted, freed). The cJSON body is
   checked byte for byte against ours before anything is measured.
   usage: write_bench IMPL SCENARIO MODE
     IMPL      xbl      the setter calls of the change + xbl_mpsd's serializer
               xblbody  the serializer alone (setters already made)
               cjson    cJSON_Parse of every caller JSON text, tree building,
                        cJSON_PrintUnformatted, cJSON_free, cJSON_Delete
     SCENARIO  join        create + join active, subscription, secure device
                           address, custom constants, a member custom property
               properties  a read session: session custom property and join
                           restriction changed (the changed custom keys)
               leave       a read session: members.me = null
     MODE      show | count (10 runs, each between callgrind toggles) */
#include "bench_common.h"   /* first: it sets _GNU_SOURCE */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include <cjson/cJSON.h>

#define XUID_ME UINT64_C(2814600000000001)
#define SCEN_JOIN 0
#define SCEN_PROPERTIES 1
#define SCEN_LEAVE 2

static unsigned char g_arena[1u << 20];
static union { unsigned char b[16384]; uint64_t u; void *p; } g_scratch;   /* the reader's scratch space */
static xbl_mpsd_session g_s;
static char g_body[65536];
static size_t g_body_len;
static const char *g_doc;       /* the 2-member document read sessions come from */
static size_t g_doc_len;
static const xbl_mpsd_session_reference g_ref = {
    "00000000-0000-0000-0000-00000000cafe", "ctf", "bench-session" };

/* The caller's inputs, identical for both implementations. */
static const char CUSTOM_CONSTANTS[] = "{\"mode\":\"capture_the_flag\",\"map\":\"harbor_night\",\"ranked\":true}";
static const char MEMBER_CONSTANTS[] = "{\"platform\":\"xbox\",\"inputDevice\":\"gamepad\"}";
static const char SDA[] = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiM=";
static const char LOADOUT[] = "{\"primary\":\"rifle_ak\",\"secondary\":\"pistol_m9\",\"perks\":[\"sprint\",\"ghost\",\"scavenger\"]}";
static const char ROUND[] = "3";
static const char STATE[] = "\"overtime\"";

/* Outside the measurement: the session the change starts from. */
static void prepare(int scen)
{
    if (scen == SCEN_JOIN) {
        xbl_mpsd_session_init_args a;
        memset(&a, 0, sizeof a);
        a.max_members_in_session = 8;
        a.visibility = XBL_MPSD_SESSION_VISIBILITY_OPEN;
        a.custom_json = CUSTOM_CONSTANTS;
        if (xbl_mpsd_session_init(&g_s, XUID_ME, &g_ref, &a, g_arena, sizeof g_arena) != XBL_MPSD_OK) exit(3);
    } else {
        xbl_mpsd__response_meta m;
        size_t need;
        memset(&m, 0, sizeof m);
        m.xuid = XUID_ME;
        m.reference = &g_ref;
        m.etag = "\"0x8DC3A1B2C3D4E5F\"";
        m.etag_len = strlen(m.etag);
        if (xbl_mpsd_session_init(&g_s, XUID_ME, &g_ref, NULL, g_arena, sizeof g_arena) != XBL_MPSD_OK ||
            xbl_mpsd__session_load(&g_s, g_doc, g_doc_len, &m, g_scratch.b, sizeof g_scratch.b, &need, NULL)
                != XBL_MPSD_OK) exit(3);
    }
}

static int xbl_change(int scen)
{
    xbl_mpsd_result r = XBL_MPSD_OK;
    if (scen == SCEN_JOIN) {
        r |= xbl_mpsd_session_join(&g_s, MEMBER_CONSTANTS, false, true);
        r |= xbl_mpsd_session_set_session_change_subscription(&g_s,
                XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE | XBL_MPSD_SESSION_CHANGE_TYPES_HOST_DEVICE_TOKEN_CHANGE);
        r |= xbl_mpsd_session_current_user_set_secure_device_address_base64(&g_s, SDA);
        r |= xbl_mpsd_session_current_user_set_custom_property_json(&g_s, "loadout", LOADOUT);
    } else if (scen == SCEN_PROPERTIES) {
        r |= xbl_mpsd_session_set_custom_property_json(&g_s, "round", ROUND);
        r |= xbl_mpsd_session_set_custom_property_json(&g_s, "state", STATE);
        r |= xbl_mpsd_session_properties_set_join_restriction(&g_s, XBL_MPSD_SESSION_RESTRICTION_LOCAL);
    } else {
        r |= xbl_mpsd_session_leave(&g_s);
    }
    return r == XBL_MPSD_OK ? 0 : -1;
}

static int xbl_body(void)
{
    return xbl_mpsd__session_write_body(&g_s, g_body, sizeof g_body, &g_body_len) == XBL_MPSD_OK ? 0 : -1;
}

/* cJSON: what an SDK built on a DOM does with the same inputs. The session
   custom object of a read session is the text the session was read with. */
static char *cjson_body(int scen, const char *session_custom, const char *subscription_id)
{
    cJSON *root = cJSON_CreateObject();
    char *out;
    if (scen == SCEN_JOIN) {
        cJSON *c = cJSON_AddObjectToObject(root, "constants");
        cJSON *sys = cJSON_AddObjectToObject(c, "system");
        cJSON *me, *mc, *mp, *msys, *sub, *types, *custom;
        cJSON_AddNumberToObject(sys, "version", 1);
        cJSON_AddNumberToObject(sys, "maxMembersCount", 8);
        cJSON_AddStringToObject(sys, "visibility", "open");
        cJSON_AddItemToObject(c, "custom", cJSON_Parse(CUSTOM_CONSTANTS));
        me = cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "members"), "me");
        mc = cJSON_AddObjectToObject(me, "constants");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(mc, "system"), "xuid", "2814600000000001");
        cJSON_AddItemToObject(mc, "custom", cJSON_Parse(MEMBER_CONSTANTS));
        mp = cJSON_AddObjectToObject(me, "properties");
        msys = cJSON_AddObjectToObject(mp, "system");
        cJSON_AddTrueToObject(msys, "active");
        sub = cJSON_AddObjectToObject(msys, "subscription");
        cJSON_AddStringToObject(sub, "id", subscription_id);
        types = cJSON_AddArrayToObject(sub, "changeTypes");
        cJSON_AddItemToArray(types, cJSON_CreateString("host"));
        cJSON_AddItemToArray(types, cJSON_CreateString("membersList"));
        cJSON_AddStringToObject(msys, "secureDeviceAddress", SDA);
        custom = cJSON_AddObjectToObject(mp, "custom");
        cJSON_AddItemToObject(custom, "loadout", cJSON_Parse(LOADOUT));
    } else if (scen == SCEN_PROPERTIES) {
        /* the keys changed since the read, as xbl_mpsd sends them by default
           (XBL_MPSD_WRITE_WHOLE_CUSTOM 0); the read object is parsed all the
           same, as a DOM SDK keeps it to show the whole local state */
        cJSON *p = cJSON_AddObjectToObject(root, "properties");
        cJSON *kept = cJSON_Parse(session_custom), *custom;
        cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "system"), "joinRestriction", "local");
        cJSON_ReplaceItemInObjectCaseSensitive(kept, "round", cJSON_Parse(ROUND));
        cJSON_ReplaceItemInObjectCaseSensitive(kept, "state", cJSON_Parse(STATE));
        custom = cJSON_AddObjectToObject(p, "custom");
        cJSON_AddItemToObject(custom, "round", cJSON_Parse(ROUND));
        cJSON_AddItemToObject(custom, "state", cJSON_Parse(STATE));
        cJSON_Delete(kept);
    } else {
        cJSON_AddNullToObject(cJSON_AddObjectToObject(root, "members"), "me");
    }
    out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

int main(int argc, char **argv)
{
    const char *impl, *mode;
    char custom[4096] = "", sub_id[64] = "";
    char *cj;
    int scen, i, bad = 0;
    if (argc < 5) { fprintf(stderr, "usage: write_bench xbl|xblbody|cjson join|properties|leave show|count DOC2\n"); return 2; }
    impl = argv[1];
    scen = !strcmp(argv[2], "join") ? SCEN_JOIN : !strcmp(argv[2], "properties") ? SCEN_PROPERTIES
         : !strcmp(argv[2], "leave") ? SCEN_LEAVE : -1;
    mode = argv[3];
    g_doc = bench_read_file(argv[4], &g_doc_len);
    if (scen < 0) return 2;

    /* reference run: our body, and the cJSON inputs that depend on the session */
    prepare(scen);
    if (g_s.properties.session_custom_properties_json)
        snprintf(custom, sizeof custom, "%s", g_s.properties.session_custom_properties_json);
    if (xbl_change(scen) || xbl_body()) { fprintf(stderr, "xbl_mpsd: change failed\n"); return 1; }
    snprintf(sub_id, sizeof sub_id, "%s", g_s.subscription_id);
    cj = cjson_body(scen, custom, sub_id);
    if (!cj || strlen(cj) != g_body_len || memcmp(cj, g_body, g_body_len) != 0) {
        fprintf(stderr, "bodies differ:\n  xbl_mpsd %.*s\n  cJSON    %s\n", (int)g_body_len, g_body, cj ? cj : "(null)");
        return 1;
    }
    cJSON_free(cj);
    if (!strcmp(mode, "show")) {
        printf("%.*s\n", (int)g_body_len, g_body);
        return 0;
    }
    for (i = 0; i < 10; i++) {
        prepare(scen);
        if (!strcmp(impl, "xbl")) {
            BENCH_COLLECT_ON();
            bad |= xbl_change(scen) | xbl_body();
            BENCH_COLLECT_OFF();
        } else if (!strcmp(impl, "xblbody")) {
            bad |= xbl_change(scen);
            BENCH_COLLECT_ON();
            bad |= xbl_body();
            BENCH_COLLECT_OFF();
        } else {
            BENCH_COLLECT_ON();
            cj = cjson_body(scen, custom, sub_id);
            cJSON_free(cj);
            BENCH_COLLECT_OFF();
        }
    }
    printf("impl=%s scenario=%s body_bytes=%zu iters=10\n", impl, argv[2], g_body_len);
    return bad;
}
