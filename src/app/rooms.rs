//! Rooms as team spaces: the caller's rooms with a form to create one (`/rooms`), and one room
//! (`/rooms/:name`): its members (room admins add, remove and promote them) and the suites shared
//! into it.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use super::{cleared_on_success, error_text, form::ServerForm, may_run, RequireUser};
use crate::{
    api::{self, AddRoomMember, CreateRoom, RemoveRoomMember, SetRoomRole},
    i18n::{use_lang, Msg},
};

#[component]
pub fn RoomsPage() -> impl IntoView {
    let lang = use_lang();
    let create = ServerAction::<CreateRoom>::new();
    let form = cleared_on_success(create);
    let rooms = Resource::new(move || create.version().get(), |_| api::my_rooms());
    view! {
        <RequireUser>
            <section class="card">
                <h1>{lang.t(Msg::NavRooms)}</h1>
                <p class="muted">{lang.t(Msg::RoomsIntro)}</p>
                <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingRooms)}</p> }>
                    {move || Suspend::new(async move {
                        match rooms.await {
                            Ok(list) if list.is_empty() => view! { <p class="muted">{lang.t(Msg::NoRoom)}</p> }.into_any(),
                            Ok(list) => view! {
                                <ul class="tests" data-testid="rooms">
                                    {list.into_iter().map(|r| view! { <li><A href=format!("/rooms/{r}")>{r.clone()}</A></li> }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <p class="error">{error_text(lang, &e)}</p> }.into_any(),
                        }
                    })}
                </Suspense>
                <Show when=may_run>
                    <ServerForm action=create node_ref=form attr:class="start">
                        <label>{lang.t(Msg::NewRoom)} " " <input type="text" name="name" required maxlength="64" pattern="[A-Za-z0-9_\\-]+"/></label>
                        <button type="submit">{lang.t(Msg::CreateRoom)}</button>
                    </ServerForm>
                </Show>
                {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{error_text(lang, &e)}</p> })}
            </section>
        </RequireUser>
    }
}

#[component]
pub fn RoomPage() -> impl IntoView {
    view! {
        <RequireUser>
            <Room/>
        </RequireUser>
    }
}

#[component]
fn Room() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let add = ServerAction::<AddRoomMember>::new();
    let remove = ServerAction::<RemoveRoomMember>::new();
    let set_role = ServerAction::<SetRoomRole>::new();
    let room = Resource::new(
        move || {
            (
                name.get(),
                add.version().get(),
                remove.version().get(),
                set_role.version().get(),
            )
        },
        |(name, ..)| api::get_room(name),
    );
    let problem = move || {
        [
            add.value().get().and_then(|r| r.err()),
            remove.value().get().and_then(|r| r.err()),
            set_role.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <p class="error" role="alert">{error_text(lang, &e)}</p> })
    };
    view! {
        <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingRoom)}</p> }>
            {move || Suspend::new(async move {
                let room = match room.await {
                    Ok(room) => room,
                    Err(e) => return view! { <p class="error">{error_text(lang, &e)}</p> }.into_any(),
                };
                let admin = room.admin;
                let room_name = room.name.clone();
                view! {
                    <section class="card" data-testid="room">
                        <h1>{lang.room_title(&room.name)}</h1>
                        <h2>{lang.t(Msg::Members)}</h2>
                        <table data-testid="members">
                            <tbody>
                                {room.members.into_iter().map(|m| {
                                    let promote = if m.room_role == "admin" { "member" } else { "admin" };
                                    let controls = admin.then(|| {
                                        let (room1, room2) = (room_name.clone(), room_name.clone());
                                        let (user1, user2) = (m.username.clone(), m.username.clone());
                                        let make = lang.make_role(promote);
                                        let make_name = lang.row_action(&make, &m.username);
                                        let remove_name = lang.row_action(lang.t(Msg::Remove), &m.username);
                                        view! {
                                            <ServerForm action=set_role attr:class="inline">
                                                <input type="hidden" name="room" value=room1/>
                                                <input type="hidden" name="username" value=user1/>
                                                <input type="hidden" name="role" value=promote/>
                                                <button type="submit" aria-label=make_name>{make}</button>
                                            </ServerForm>
                                            <ServerForm action=remove attr:class="inline">
                                                <input type="hidden" name="room" value=room2/>
                                                <input type="hidden" name="username" value=user2/>
                                                <button type="submit" aria-label=remove_name>{lang.t(Msg::Remove)}</button>
                                            </ServerForm>
                                        }
                                    });
                                    view! {
                                        <tr>
                                            <td>{m.username}</td>
                                            <td>{lang.room_role(&m.room_role)}</td>
                                            <td>{controls}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        {admin.then(|| {
                            let room = room.name.clone();
                            view! {
                            <ServerForm action=add attr:class="start">
                                <input type="hidden" name="room" value=room/>
                                <label>{lang.t(Msg::AddMember)} " " <input type="text" name="username" required maxlength="64"/></label>
                                <button type="submit">{lang.t(Msg::Add)}</button>
                            </ServerForm>
                        }})}
                        {problem}
                        <h2>{lang.t(Msg::SharedSuites)}</h2>
                        {if room.suites.is_empty() {
                            view! { <p class="muted">{lang.t(Msg::NoSharedSuite)}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="tests" data-testid="room-suites">
                                    {room.suites.into_iter().map(|s| view! {
                                        <li>
                                            <A href=format!("/suites/{}", s.id)>{s.name}</A>
                                            <span class="muted">{lang.version_by(s.version, &s.owner)}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <p><A href="/runs">{lang.t(Msg::RoomRunsNote)}</A></p>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
