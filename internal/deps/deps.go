package deps

import (
	_ "github.com/go-zookeeper/zk"
	_ "github.com/mesos/mesos-go/api/v1/lib"
	_ "github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	_ "github.com/mesos/mesos-go/api/v1/lib/executor/config"
	_ "github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/controller"
	_ "github.com/mesos/mesos-go/api/v1/lib/httpcli/httpexec"
	_ "github.com/mesos/mesos-go/api/v1/lib/httpcli/httpsched"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/spf13/cobra"
	_ "google.golang.org/grpc"
	_ "google.golang.org/protobuf/proto"
	_ "gopkg.in/yaml.v3"
	_ "github.com/robfig/cron/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/google/uuid"
	_ "golang.org/x/term"
)
