package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// postTransport is gqlgen's transport.POST (GraphQL over HTTP, POST with a
// JSON body), which it embeds for Supports, with the same answers: media
// type, status codes and bodies. It differs in two ways.
//
//   - The data is written as the executor marshalled it. gqlgen passes the
//     response through encoding/json, which scans the whole of the data
//     again to compact and validate it (a json.RawMessage): 7 % of the CPU
//     of issue 14's nested read. The executor's JSON is already compact and
//     valid; encoding/json would also escape <, >, & and U+2028/9 in it, so
//     data holding any of them still goes through encoding/json, and the
//     bytes are the same either way (needsJSONEscape).
//   - Content-Type is set, not added: graphqlInput sets application/json
//     for the errors of everything before the transport, and gqlgen's Add
//     sent that header twice, the second naming the negotiated type.
type postTransport struct{ transport.POST }

var _ graphql.Transport = postTransport{}

func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := negotiatedMediaType(r)
	w.Header().Set("Content-Type", contentType)
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %+v", err)}))
		return
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{
			gqlerror.Errorf("json request body could not be decoded: %+v body:%s", err, body),
		}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == mediaGraphQLResponse {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

// negotiatedMediaType is gqlgen's choice of response media type for POST
// (transport.POST with no explicit headers): JSON when Accept is absent,
// a wildcard or application/json, graphql-response+json when that comes
// first or nothing in Accept is understood.
func negotiatedMediaType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaGraphQLResponse
}

// writeResponse writes resp with its length: net/http would send a body
// past 2 KiB in chunks (a nested read's is about 3 KiB). A response of data
// alone is written around the executor's bytes (see postTransport), in three
// writes to the connection's buffer rather than one copy of the data.
func writeResponse(w http.ResponseWriter, resp *graphql.Response) {
	if dataAlone(resp) {
		w.Header().Set("Content-Length", strconv.Itoa(len(dataOpen)+len(resp.Data)+len(dataClose)))
		_, _ = io.WriteString(w, dataOpen)
		_, _ = w.Write(resp.Data)
		_, _ = io.WriteString(w, dataClose)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		// As gqlgen: the executor wrote JSON that is not JSON.
		panic(fmt.Errorf("graphql: marshal the response: %w", err))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// What json.Marshal writes around a response of data alone.
const dataOpen, dataClose = `{"data":`, `}`

// dataAlone reports whether json.Marshal would write resp as its data
// alone, as it is: the conditions of Response's omitempty tags, and data
// with nothing encoding/json escapes.
func dataAlone(resp *graphql.Response) bool {
	return len(resp.Errors) == 0 && resp.Label == "" && len(resp.Path) == 0 && resp.HasNext == nil && len(resp.Extensions) == 0 &&
		len(resp.Data) > 0 && !needsJSONEscape(resp.Data)
}

// needsJSONEscape reports whether b holds a character encoding/json
// escapes: <, >, & or U+2028, U+2029. The only other change compacting
// makes, dropping whitespace between tokens, has nothing to drop: the
// schema's scalars (the built-in ones, UUID, Time and enums) are written
// without any.
func needsJSONEscape(b []byte) bool {
	for _, c := range []byte("<>&") {
		if bytes.IndexByte(b, c) >= 0 {
			return true
		}
	}
	// U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
	return bytes.IndexByte(b, 0xe2) >= 0 && (bytes.Contains(b, []byte("\u2028")) || bytes.Contains(b, []byte("\u2029")))
}

// getTransport is gqlgen's transport.GET, which adds its Content-Type to
// the one graphqlInput set for errors: without that one, the response names
// one media type, not two.
type getTransport struct{ transport.GET }

func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Del("Content-Type")
	t.GET.Do(w, r, exec)
}
