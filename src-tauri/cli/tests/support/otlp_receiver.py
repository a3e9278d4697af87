"""A real OTLP/HTTP logs receiver for Paddock's export tests.

It parses every request with the OpenTelemetry project's own Python bindings
(`opentelemetry-proto`): protobuf bodies with ExportLogsServiceRequest.FromString,
JSON bodies with google.protobuf.json_format.Parse (strict: an unknown field or
a wrongly typed value is a parse error, answered 400 and logged as an error).
Each record it accepts becomes one JSON line in --out: protocol, event name,
time, severity, body, attributes (as plain values), resource attributes, scope.

--fail N --fail-status S: answer the first N requests with HTTP S (not recorded).
--reject N: answer every accepted request with partial_success rejecting N records.
The chosen port is written to --port-file (atomically) once it listens.
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)


def plain(any_value):
    """An AnyValue as a plain JSON value (ints stay ints, bytes are hex)."""
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    v = getattr(any_value, kind)
    if kind == "array_value":
        return [plain(x) for x in v.values]
    if kind == "kvlist_value":
        return {kv.key: plain(kv.value) for kv in v.values}
    if kind == "bytes_value":
        return v.hex()
    return v


def attrs(kvs):
    return {kv.key: plain(kv.value) for kv in kvs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fail", type=int, default=0)
    ap.add_argument("--fail-status", type=int, default=500)
    ap.add_argument("--reject", type=int, default=0)
    args = ap.parse_args()

    lock = threading.Lock()
    state = {"fail": args.fail}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):  # quiet: the test reads --out
            pass

        def answer(self, status, body=b"", ctype="text/plain"):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            with lock:
                if state["fail"] > 0:
                    state["fail"] -= 1
                    self.answer(args.fail_status, b"collector says no (test)")
                    return
            if self.path != "/v1/logs":
                self.answer(404, b"not the logs path")
                return
            try:
                if ctype == "application/x-protobuf":
                    req = ExportLogsServiceRequest.FromString(raw)
                    protocol = "protobuf"
                elif ctype == "application/json":
                    req = json_format.Parse(raw.decode("utf-8"), ExportLogsServiceRequest())
                    protocol = "json"
                else:
                    raise ValueError("unknown content type %r" % ctype)
            except Exception as e:  # a body the real parser refuses
                with lock, open(args.out, "a") as f:
                    f.write(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}) + "\n")
                self.answer(400, str(e).encode())
                return
            lines = []
            for rl in req.resource_logs:
                resource = attrs(rl.resource.attributes)
                for sl in rl.scope_logs:
                    for r in sl.log_records:
                        lines.append(
                            json.dumps(
                                {
                                    "protocol": protocol,
                                    "event_name": r.event_name,
                                    "time_unix_nano": r.time_unix_nano,
                                    "observed_time_unix_nano": r.observed_time_unix_nano,
                                    "severity_number": r.severity_number,
                                    "severity_text": r.severity_text,
                                    "body": plain(r.body),
                                    "attributes": attrs(r.attributes),
                                    "resource": resource,
                                    "scope": sl.scope.name,
                                    "user_agent": self.headers.get("User-Agent"),
                                }
                            )
                        )
            with lock, open(args.out, "a") as f:
                for line in lines:
                    f.write(line + "\n")
            resp = ExportLogsServiceResponse()
            if args.reject:
                resp.partial_success.rejected_log_records = args.reject
                resp.partial_success.error_message = "test rejects %d" % args.reject
            if protocol == "json":
                self.answer(200, json_format.MessageToJson(resp).encode(), "application/json")
            else:
                self.answer(200, resp.SerializeToString(), "application/x-protobuf")

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
