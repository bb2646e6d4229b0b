// Command getring is the benchmarks' stand-in for `grpcurl ... RingService/GetRing`: one GetRing
// call over the same mutual TLS the CLI uses, the answer printed as indented JSON. It exists so
// BenchmarkRing1000 can compare `cassmesos ring status` with a raw client of the same RPC.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cassmesos/cassmesos/internal/tlsutil"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func main() {
	server := flag.String("server", "", "daemon address host:port")
	ca := flag.String("ca", "", "CA certificate (PEM)")
	cert := flag.String("cert", "", "client certificate (PEM)")
	key := flag.String("key", "", "client key (PEM)")
	ring := flag.String("ring", "", "ring name")
	flag.Parse()
	if err := run(*server, *ca, *cert, *key, *ring); err != nil {
		fmt.Fprintln(os.Stderr, "getring:", err)
		os.Exit(1)
	}
}

func run(server, ca, cert, key, ring string) error {
	if server == "" || ring == "" {
		return fmt.Errorf("--server and --ring are required")
	}
	src, err := tlsutil.NewSource(tlsutil.Files{CA: ca, Cert: cert, Key: key}, 0, nil)
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(server, grpc.WithTransportCredentials(credentials.NewTLS(tlsutil.ClientConfig(src, ""))))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := cassmesosv1.NewRingServiceClient(conn).GetRing(ctx, &cassmesosv1.GetRingRequest{Name: ring})
	if err != nil {
		return err
	}
	out, err := protojson.MarshalOptions{Multiline: true}.Marshal(r)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}
