//! Parsing of request paths into routes (`/api/v1/namespaces/ns/pods/name/status`, discovery...).

use crate::registry::{self, RESOURCES, ResourceId};

/// What a request path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Version,
    Health,
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/<group>`
    Group(String),
    /// `/api/v1` or `/apis/<g>/<v>`
    ResourceList(String, String),
    /// `/openapi/v3`
    OpenApiIndex,
    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/<g>/<v>`
    OpenApiDoc(String, String),
    Resource(ResourceRoute),
    NotFound,
}

/// A resource request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRoute {
    pub res: ResourceId,
    /// Namespace from the path (None: cluster-scoped, or all namespaces).
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// Parse a request path (without query).
pub fn parse(path: &str) -> Route {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", "api", "v1"] => Route::OpenApiDoc(String::new(), "v1".into()),
        ["openapi", "v3", "apis", g, v] => Route::OpenApiDoc((*g).into(), (*v).into()),
        ["apis", g] => {
            if RESOURCES.iter().any(|r| r.group == *g && !g.is_empty()) {
                Route::Group((*g).into())
            } else {
                Route::NotFound
            }
        }
        ["api", "v1", rest @ ..] => resource_path("", "v1", rest),
        ["apis", g, v, rest @ ..] => resource_path(g, v, rest),
        _ => Route::NotFound,
    }
}

fn resource_path(group: &str, version: &str, rest: &[&str]) -> Route {
    if !registry::group_versions().contains(&(group, version)) {
        // Unknown group-version: NotFound.
        return Route::NotFound;
    }
    if rest.is_empty() {
        return Route::ResourceList(group.into(), version.into());
    }
    // /namespaces/<ns>/<plural>... is namespaced; /namespaces/<ns>[/status|/finalize] is the
    // namespace object itself.
    let (namespace, rest): (Option<String>, Vec<&str>) = if rest.len() >= 3
        && rest[0] == "namespaces"
        && !(rest.len() == 3 && matches!(rest[2], "status" | "finalize"))
    {
        (Some(rest[1].to_string()), rest[2..].to_vec())
    } else {
        (None, rest.to_vec())
    };
    let Some((plural, tail)) = rest.split_first() else {
        return Route::NotFound;
    };
    let Some(res) = registry::find(group, version, plural) else {
        return Route::NotFound;
    };
    let def = registry::def(res);
    if namespace.is_some() && !def.namespaced {
        return Route::NotFound;
    }
    let (name, subresource) = match tail {
        [] => (None, None),
        [name] => (Some((*name).to_string()), None),
        [name, sub] => {
            if !def.subresources.contains(sub) {
                return Route::NotFound;
            }
            (Some((*name).to_string()), Some((*sub).to_string()))
        }
        _ => return Route::NotFound,
    };
    Route::Resource(ResourceRoute {
        res,
        namespace,
        name,
        subresource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::ids;

    fn rr(p: &str) -> ResourceRoute {
        match parse(p) {
            Route::Resource(r) => r,
            other => panic!("{p}: {other:?}"),
        }
    }

    #[test]
    fn parses_namespaced_and_cluster_paths() {
        let r = rr("/api/v1/namespaces/default/pods/web-0/status");
        assert_eq!(r.res, *ids::PODS);
        assert_eq!(r.namespace.as_deref(), Some("default"));
        assert_eq!(r.name.as_deref(), Some("web-0"));
        assert_eq!(r.subresource.as_deref(), Some("status"));
        let r = rr("/api/v1/namespaces/default");
        assert_eq!(r.res, *ids::NAMESPACES);
        assert_eq!(r.name.as_deref(), Some("default"));
        let r = rr("/api/v1/namespaces/foo/status");
        assert_eq!(r.res, *ids::NAMESPACES);
        assert_eq!(r.subresource.as_deref(), Some("status"));
        let r = rr("/apis/apps/v1/statefulsets");
        assert_eq!(r.namespace, None);
        assert_eq!(parse("/apis/apps/v2/statefulsets"), Route::NotFound);
        assert_eq!(parse("/api/v1/namespaces/default/nodes"), Route::NotFound);
        assert_eq!(
            parse("/apis/apps/v1"),
            Route::ResourceList("apps".into(), "v1".into())
        );
    }
}
