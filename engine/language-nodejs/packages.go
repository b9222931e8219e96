package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageJSON holds the fields of a package.json this host reads.
type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pkg packageJSON
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &pkg, nil
}

// resolvePackage finds node_modules/<name>/package.json the way Node does: in the program's
// directory, then in each parent directory.
func resolvePackage(programDir, name string) (string, *packageJSON, error) {
	for dir := programDir; ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "node_modules", filepath.FromSlash(name), "package.json")
		pkg, err := readPackageJSON(candidate)
		if err == nil {
			return candidate, pkg, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", nil, err
		}
		if parent := filepath.Dir(dir); parent == dir {
			return "", nil, nil
		}
	}
}

// directDependencies lists the program's own dependencies (not transitive ones), resolved.
func directDependencies(programDir string) ([]*packageJSON, error) {
	root, err := readPackageJSON(filepath.Join(programDir, "package.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(root.Dependencies)+len(root.DevDependencies))
	for name := range root.Dependencies {
		names = append(names, name)
	}
	for name := range root.DevDependencies {
		names = append(names, name)
	}
	sort.Strings(names)
	var deps []*packageJSON
	for _, name := range names {
		_, pkg, err := resolvePackage(programDir, name)
		if err != nil {
			return nil, err
		}
		if pkg != nil {
			deps = append(deps, pkg)
		}
	}
	return deps, nil
}

// requiredPackages reports the resource plugins the program's direct dependencies declare with
// `"pulumi": {"resource": true}` in their package.json, as the Pulumi npm SDKs do.
func requiredPackages(programDir string) ([]*pulumirpc.PackageDependency, error) {
	deps, err := directDependencies(programDir)
	if err != nil {
		return nil, err
	}
	var pkgs []*pulumirpc.PackageDependency
	for _, dep := range deps {
		if dep.Pulumi == nil || !dep.Pulumi.Resource {
			continue
		}
		name := dep.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(dep.Name, "@pulumi/")
		}
		ver := dep.Pulumi.Version
		if ver == "" {
			ver = dep.Version
		}
		pkgs = append(pkgs, &pulumirpc.PackageDependency{
			Kind:    "resource",
			Name:    name,
			Version: "v" + strings.TrimPrefix(ver, "v"),
			Server:  dep.Pulumi.Server,
		})
	}
	return pkgs, nil
}

// programDependencies lists the program's direct dependencies and their installed versions.
func programDependencies(programDir string) ([]*pulumirpc.DependencyInfo, error) {
	deps, err := directDependencies(programDir)
	if err != nil {
		return nil, err
	}
	infos := make([]*pulumirpc.DependencyInfo, 0, len(deps))
	for _, dep := range deps {
		infos = append(infos, &pulumirpc.DependencyInfo{Name: dep.Name, Version: dep.Version})
	}
	return infos, nil
}
