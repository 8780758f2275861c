// Command floor is the bench's client-go floor: the same exec hooks as kubehooks, at the same
// concurrency, through client-go's remotecommand (WebSocket or SPDY) and nothing else. It is the
// best a client can do through this API server and kwok, so kubehooks' figures are read as ratios
// to it. It prints one JSON object on stdout.
//
//	floor -kubeconfig FILE -hooks FILE.json -concurrency 8 -transport websocket|spdy
//
// The hooks file is a JSON array of {"namespace","pod","container","command":[...]}; hooks of one
// container run in order (as kubehooks runs them), containers run C at a time.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"
)

type hook struct {
	Namespace string   `json:"namespace"`
	Pod       string   `json:"pod"`
	Container string   `json:"container"`
	Command   []string `json:"command"`
}

type result struct {
	Pod        string  `json:"pod"`
	Container  string  `json:"container"`
	StartedAt  string  `json:"startedAt"`
	DurationMs float64 `json:"durationMs"`
	Error      string  `json:"error,omitempty"`
}

type report struct {
	Transport   string   `json:"transport"`
	Concurrency int      `json:"concurrency"`
	Hooks       int      `json:"hooks"`
	Failed      int      `json:"failed"`
	WallMs      float64  `json:"wallMs"`
	Results     []result `json:"results"`
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig file")
	hooksFile := flag.String("hooks", "", "JSON file with the hooks")
	concurrency := flag.Int("concurrency", 8, "containers whose hooks run at once")
	transport := flag.String("transport", "websocket", "websocket or spdy")
	timeout := flag.Duration("timeout", 10*time.Minute, "deadline for the whole run")
	flag.Parse()
	if err := run(*kubeconfig, *hooksFile, *concurrency, *transport, *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v\n", err)
		os.Exit(1)
	}
}

func run(kubeconfig, hooksFile string, concurrency int, transport string, timeout time.Duration) error {
	if transport != "websocket" && transport != "spdy" {
		return fmt.Errorf("-transport %q: use websocket or spdy", transport)
	}
	if concurrency < 1 {
		return fmt.Errorf("-concurrency %d: at least 1", concurrency)
	}
	raw, err := os.ReadFile(hooksFile)
	if err != nil {
		return err
	}
	var hooks []hook
	if err := json.Unmarshal(raw, &hooks); err != nil {
		return fmt.Errorf("%s: %w", hooksFile, err)
	}
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	// Exec is a long-running request; the client's rate limiter would only add its own queueing.
	config.QPS = 1e6
	config.Burst = 1e6
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Chains: the hooks of one container, in file order.
	var order []string
	chains := map[string][]int{}
	for i, h := range hooks {
		key := h.Namespace + "/" + h.Pod + "/" + h.Container
		if _, ok := chains[key]; !ok {
			order = append(order, key)
		}
		chains[key] = append(chains[key], i)
	}
	results := make([]result, len(hooks))
	work := make(chan []int)
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chain := range work {
				for _, i := range chain {
					results[i] = execOne(ctx, client, config, transport, hooks[i])
				}
			}
		}()
	}
	for _, key := range order {
		select {
		case work <- chains[key]:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	rep := report{Transport: transport, Concurrency: concurrency, Hooks: len(hooks), Results: results}
	rep.WallMs = float64(time.Since(t0).Microseconds()) / 1000
	for _, r := range results {
		if r.Error != "" || r.StartedAt == "" {
			rep.Failed++
		}
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

func execOne(ctx context.Context, client *kubernetes.Clientset, config *rest.Config, transport string, h hook) result {
	r := result{Pod: h.Pod, Container: h.Container}
	if ctx.Err() != nil {
		r.Error = ctx.Err().Error()
		return r
	}
	req := client.CoreV1().RESTClient().Post().Resource("pods").Namespace(h.Namespace).Name(h.Pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: h.Container, Command: h.Command, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	start := time.Now()
	r.StartedAt = start.UTC().Format(time.RFC3339Nano)
	var executor remotecommand.Executor
	var err error
	if transport == "websocket" {
		executor, err = remotecommand.NewWebSocketExecutor(config, "GET", req.URL().String())
	} else {
		executor, err = remotecommand.NewSPDYExecutor(config, "POST", req.URL())
	}
	if err == nil {
		var stdout, stderr bytes.Buffer
		hookCtx, cancel := context.WithTimeout(ctx, time.Minute)
		err = executor.StreamWithContext(hookCtx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
		cancel()
	}
	r.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		r.Error = err.Error()
	}
	return r
}
