# Makes the man pages from the commands' own help with help2man (cmake -P, at build time):
# scaleout.1, one scaleout-SUBCOMMAND.1 per subcommand that `scaleout --help` lists (so a new
# subcommand gets its page without a list to keep), and scaleout-sweep.1 and scaleout-vcluster.1 for
# the Slurm helpers. Takes SCALEOUT (the binary), HELP2MAN, VERSION, SOURCE (the source tree) and OUTPUT
# (the folder of pages, made afresh).
foreach(variable SCALEOUT HELP2MAN VERSION SOURCE OUTPUT)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "man_pages.cmake needs -D${variable}=...")
  endif()
endforeach()

file(REMOVE_RECURSE "${OUTPUT}")
file(MAKE_DIRECTORY "${OUTPUT}/wrappers")

# One page: help2man runs PROGRAM --help (never --version: the version is given).
function(page name program description)
  execute_process(
    COMMAND "${HELP2MAN}" --no-info --no-discard-stderr "--version-string=${VERSION}" --name "${description}"
            --output "${OUTPUT}/${name}.1" "${program}"
    RESULT_VARIABLE status ERROR_VARIABLE error)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "help2man could not make ${name}.1: ${error}")
  endif()
endfunction()

# A subcommand's page comes from `scaleout SUBCOMMAND --help`, through a wrapper named for the page.
function(subcommand_page subcommand description)
  set(wrapper "${OUTPUT}/wrappers/scaleout-${subcommand}")
  file(WRITE "${wrapper}" "#!/bin/sh\nexec \"${SCALEOUT}\" ${subcommand} \"$@\"\n")
  file(CHMOD "${wrapper}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                                      WORLD_EXECUTE)
  page("scaleout-${subcommand}" "${wrapper}" "${description}")
endfunction()

execute_process(COMMAND "${SCALEOUT}" --help OUTPUT_VARIABLE help RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${SCALEOUT} --help failed")
endif()
page(scaleout "${SCALEOUT}" "emulate the communication of distributed training on an MPI cluster")

# The lines under "Subcommands:": two spaces, the name, spaces, what it does.
string(REGEX REPLACE ".*\nSubcommands:\n" "" listed "${help}")
string(REPLACE "\n" ";" lines "${listed}")
set(count 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^  ([a-z]+) +(.+)$")
    subcommand_page("${CMAKE_MATCH_1}" "${CMAKE_MATCH_2}")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "no subcommand found in `${SCALEOUT} --help`")
endif()

page(scaleout-sweep "${SOURCE}/slurm/sweep" "submit one scaleout run per node count to Slurm: a node-count sweep")
page(scaleout-vcluster "${SOURCE}/slurm/vcluster"
     "a real multi-node Slurm cluster on one machine, over network namespaces with shaped links")
file(REMOVE_RECURSE "${OUTPUT}/wrappers")
