// Part 3, the XSAPI-shaped stack: libcurl (one easy handle, so the
// connection is kept alive) doing the same PUT as ka_xbl.c, the body built
// and the reply parsed with RapidJSON. One write = set "score" in the
// current user's member custom object kept from the last reply (XSAPI keeps
// it as a JSON value and writes it whole), serialize the body, PUT with
// If-Match, collect body and ETag, parse the reply into a new Document.
// It stops at the DOM: XSAPI would then also copy it into its session
// object, which is not counted here.
//   usage: ka_curl PORT writes N
#include "bench_common.h"
#include <curl/curl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <string>

struct state {
    CURL *curl;
    std::string url, etag, reply, auth;
    rapidjson::Document doc;   // the last reply
};

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    static_cast<state *>(user)->reply.append(p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    size_t len = size * n;
    if (len > 6 && strncasecmp(p, "ETag: ", 6) == 0) {
        std::string &e = static_cast<state *>(user)->etag;
        e.assign(p + 6, len - 6);
        while (!e.empty() && (e.back() == '\r' || e.back() == '\n')) e.pop_back();
    }
    return len;
}

static int one_write(state &st, int i, bool create)
{
    rapidjson::StringBuffer body;
    rapidjson::Writer<rapidjson::StringBuffer> w(body);
    if (create) {
        w.StartObject(); w.Key("members"); w.StartObject(); w.Key("me"); w.StartObject();
        w.Key("constants"); w.StartObject(); w.Key("system"); w.StartObject();
        w.Key("xuid"); w.String("2814600000000001"); w.EndObject(); w.EndObject();
        w.Key("properties"); w.StartObject(); w.Key("system"); w.StartObject();
        w.Key("active"); w.Bool(true); w.EndObject(); w.EndObject();
        w.EndObject(); w.EndObject(); w.EndObject();
    } else {
        rapidjson::Value &custom = st.doc["members"]["0"]["properties"]["custom"];
        if (custom.HasMember("score")) custom["score"].SetInt(i);
        else custom.AddMember("score", i, st.doc.GetAllocator());
        w.StartObject(); w.Key("members"); w.StartObject(); w.Key("me"); w.StartObject();
        w.Key("properties"); w.StartObject(); w.Key("custom");
        custom.Accept(w);
        w.EndObject(); w.EndObject(); w.EndObject(); w.EndObject();
    }
    struct curl_slist *h = nullptr;
    std::string match = create ? std::string("If-None-Match: *") : "If-Match: " + st.etag;
    h = curl_slist_append(h, "x-xbl-contract-version: 107");
    h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
    h = curl_slist_append(h, match.c_str());
    h = curl_slist_append(h, st.auth.c_str());
    h = curl_slist_append(h, "Accept:");   // curl's default Accept: */* is not sent by either SDK
    curl_easy_setopt(st.curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(st.curl, CURLOPT_POSTFIELDS, body.GetString());
    curl_easy_setopt(st.curl, CURLOPT_POSTFIELDSIZE, (long)body.GetSize());
    st.reply.clear();
    CURLcode rc = curl_easy_perform(st.curl);
    curl_slist_free_all(h);
    long status = 0;
    curl_easy_getinfo(st.curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) { fprintf(stderr, "curl: %s %ld\n", curl_easy_strerror(rc), status); return -1; }
    rapidjson::Document fresh;
    fresh.Parse(st.reply.data(), st.reply.size());
    if (fresh.HasParseError() || !fresh.IsObject()) return -1;
    st.doc.Swap(fresh);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[2], "writes") != 0) { fprintf(stderr, "usage: ka_curl PORT writes N\n"); return 2; }
    int n = atoi(argv[3]);
    state st;
    st.url = std::string("http://127.0.0.1:") + argv[1] +
             "/serviceconfigs/00000000-0000-0000-0000-00000000cafe/sessionTemplates/ctf/sessions/bench-session";
    st.auth = "Authorization: XBL3.0 x=2814600000000001;" + std::string(1299, 'k');
    curl_global_init(CURL_GLOBAL_DEFAULT);
    st.curl = curl_easy_init();
    curl_easy_setopt(st.curl, CURLOPT_URL, st.url.c_str());
    curl_easy_setopt(st.curl, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(st.curl, CURLOPT_USERAGENT, "xbl_mpsd/0.1.0");
    curl_easy_setopt(st.curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(st.curl, CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(st.curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(st.curl, CURLOPT_HEADERDATA, &st);
    curl_easy_setopt(st.curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(st.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(st.curl, CURLOPT_TIMEOUT_MS, 60000L);
    if (one_write(st, 0, true) != 0) { fprintf(stderr, "create failed\n"); return 1; }
    for (int i = 1; i <= 5; i++)
        if (one_write(st, i, false) != 0) { fprintf(stderr, "write failed\n"); return 1; }
    bench_heap_reset();
    int i;
    BENCH_COLLECT_ON();
    for (i = 0; i < n; i++)
        if (one_write(st, 100 + i, false) != 0) break;
    BENCH_COLLECT_OFF();
    if (i < n) { fprintf(stderr, "write %d failed\n", i); return 1; }
    bench_heap_stats *hs = bench_heap();
    printf("impl=curl writes=%d heap_allocs=%s%lu heap_peak=%zu\n", n, hs ? "" : "n/a:", hs ? hs->allocs : 0UL,
           hs ? hs->peak : (size_t)0);
    curl_easy_cleanup(st.curl);
    curl_global_cleanup();
    return 0;
}
