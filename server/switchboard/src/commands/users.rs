//! `switchboard user add|list|remove|password`, and the first admin a fresh install gets.

use std::io::Write;

use pbx::accounts::{NewUser, UserUpdate, normalize_user_name};
use store::{Store, StoreError};

use super::{Failure, open_store};
use crate::cli::UserCommand;
use crate::config::Config;

/// Portal passwords: long enough that the login throttle, not the password, is what stops
/// guessing.
const MIN_PASSWORD: usize = 10;

pub async fn user(config: Config, cmd: UserCommand) -> Result<(), Failure> {
    let store = open_store(&config).await?;
    let result = run(&store, cmd).await;
    store.close().await;
    result
}

async fn run(store: &Store, cmd: UserCommand) -> Result<(), Failure> {
    match cmd {
        UserCommand::Add {
            name,
            extension,
            admin,
            password,
        } => add(store, &name, extension, admin, password).await,
        UserCommand::List => list(store).await,
        UserCommand::Remove { name } => {
            let user = find(store, &name).await?;
            if store.remove_user(user.id).await.map_err(Failure::runtime)? {
                println!("removed user {}", user.name);
            }
            Ok(())
        }
        UserCommand::Password { name, password } => {
            let user = find(store, &name).await?;
            let (password, generated) = chosen_password(password)?;
            let update = UserUpdate {
                password_hash: Some(hash(&password).await?),
                ..UserUpdate::default()
            };
            store
                .update_user(user.id, &update)
                .await
                .map_err(Failure::runtime)?;
            store
                .remove_user_sessions(user.id)
                .await
                .map_err(Failure::runtime)?;
            println!("password of {} changed; their logins were ended", user.name);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
    }
}

async fn add(
    store: &Store,
    name: &str,
    extension: Option<String>,
    admin: bool,
    password: Option<String>,
) -> Result<(), Failure> {
    let name = normalize_user_name(name).map_err(Failure::usage)?;
    let (password, generated) = chosen_password(password)?;
    let user = NewUser {
        name,
        password_hash: hash(&password).await?,
        extension,
        admin,
    };
    match store.add_user(&user).await {
        Ok(u) => {
            let role = if u.admin { "admin" } else { "user" };
            match &u.extension {
                Some(n) => println!("added {role} {} with extension {n}", u.name),
                None => println!("added {role} {}", u.name),
            }
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Err(
            e @ (StoreError::DuplicateUser(_)
            | StoreError::ExtensionTaken(_)
            | StoreError::NoSuchExtension(_)),
        ) => Err(Failure {
            message: format!("error: {e}"),
            code: 1,
        }),
        Err(e) => Err(Failure::runtime(e)),
    }
}

async fn list(store: &Store) -> Result<(), Failure> {
    let users = store.list_users().await.map_err(Failure::runtime)?;
    let mut out = std::io::stdout().lock();
    for u in users {
        let role = if u.admin { "admin" } else { "user" };
        let _ = writeln!(
            out,
            "{}\t{role}\t{}",
            u.name,
            u.extension.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

async fn find(store: &Store, name: &str) -> Result<pbx::accounts::User, Failure> {
    let name = normalize_user_name(name).map_err(Failure::usage)?;
    store
        .user_by_name(&name)
        .await
        .map_err(Failure::runtime)?
        .ok_or_else(|| Failure {
            message: format!("error: no user {name}"),
            code: 1,
        })
}

/// The given password (checked), or a generated one; true when generated.
fn chosen_password(given: Option<String>) -> Result<(String, bool), Failure> {
    match given {
        Some(p) if p.chars().count() < MIN_PASSWORD => Err(Failure::usage(format!(
            "--password must have at least {MIN_PASSWORD} characters"
        ))),
        Some(p) => Ok((p, false)),
        None => Ok((crate::random::secret(), true)),
    }
}

async fn hash(password: &str) -> Result<String, Failure> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || portal::hash_password(&password))
        .await
        .map_err(Failure::runtime)?
        .map_err(Failure::runtime)
}

/// A fresh install has no way in: the first start creates the admin `admin` with a random
/// password and prints it once (change it under Account, or `switchboard user password`).
pub(super) async fn first_admin(store: &Store) {
    match store.list_users().await {
        Ok(users) if users.is_empty() => {}
        Ok(_) => return,
        Err(e) => {
            tracing::error!("cannot read the portal users: {e}");
            return;
        }
    }
    let password = crate::random::secret();
    let hashed = match hash(&password).await {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("cannot create the first admin: {}", e.message);
            return;
        }
    };
    let user = NewUser {
        name: "admin".to_owned(),
        password_hash: hashed,
        extension: None,
        admin: true,
    };
    match store.add_user(&user).await {
        Ok(_) => println!(
            "  first start: portal user \"admin\" created, password {password} \
             (shown once: change it under Account)"
        ),
        Err(e) => tracing::error!("cannot create the first admin: {e}"),
    }
}
